"""Portfolio commands: `track` (add policies from a CSV), `edit` (name, tags, note), `update` (fetch
what is new for many policies and print a digest), `review` (list or mark reviewed changes) and
`schedule` (the platform's scheduler entry that runs `update`)."""

from __future__ import annotations

import argparse
import csv
import html
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..client.endpoints import ArchiveKind, archive_endpoint
from ..errors import ArchiverError, InvalidURLError, NotFoundError, UsageError
from ..portfolio import Change, Portfolio, split_tags
from ..timestamps import display
from ..urls import display_url, normalize_url, policy_key
from . import open_archive, open_session, print_json
from .args import prefix_arg


def register(sub: Any) -> None:
    p = sub.add_parser(
        "track",
        help="add policies from a CSV file (columns url, name, tags)",
        description="Add every policy a CSV file lists (a header row with url and optionally name and "
        "tags; tags separated by ';' or ','). A bad row is named by its line number and left out; "
        "the good rows are added, each whole or not at all. Nothing is downloaded: run 'update'.",
    )
    p.add_argument("--csv", required=True, metavar="FILE", help="the CSV file ('-' for standard input)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_track)

    p = sub.add_parser("edit", help="set a policy's name, tags or note")
    p.add_argument("url")
    p.add_argument("--name", help="the name every view shows ('' goes back to the page title)")
    p.add_argument("--tags", help="the policy's tags, separated by ';' or ',' (replaces the old ones)")
    p.add_argument("--note", help="a free-text note on the policy")
    p.set_defaults(func=cmd_edit)

    p = sub.add_parser(
        "remove",
        help="take a policy off the list (its captures stay in the archive and its ledger)",
        description="The policy no longer shows in lists, updates, searches or --all exports. Its "
        "captures are not deleted: the archive's ledger is append-only and 'verify' keeps checking "
        "them. Fetching or tracking the URL again brings the policy back with its whole history.",
    )
    p.add_argument("url")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser(
        "update",
        help="fetch what is new for many policies and print what changed since the last update",
        description="For each policy (all, or those with --tag), fetch the captures the archive has "
        "gained and, with --live, today's page; then print the changes found since the last update "
        "run. Exit 0 when nothing changed, 1 when something did (fits cron), 2 on errors. An "
        "interrupted run resumes where it stopped and reports its changes next time.",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every tracked policy (the default)")
    which.add_argument("--tag", metavar="TAG", help="only the policies with this tag")
    p.add_argument("--live", action="store_true", help="also capture today's page from each site")
    p.add_argument(
        "--archive-url",
        action="append",
        type=prefix_arg,
        metavar="PREFIX",
        help="an archive to ask, instead of the ones each policy's captures came from (the Wayback "
        "Machine for a policy with none); give it several times to ask several",
    )
    p.add_argument(
        "--archive-kind",
        choices=[k.value for k in ArchiveKind],
        default="auto",
        help="how to list captures: ia (CDX server), pywb (its CDX), timemap (Memento); default auto",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the digest as JSON")
    out.add_argument("--html", metavar="FILE", help="also write the digest as an HTML page")
    p.set_defaults(func=cmd_update)

    p = sub.add_parser(
        "review",
        help="list the changes nobody has reviewed, or mark one reviewed",
        description="Without --done: the changes not yet reviewed (policy, versions, window). "
        "With --done URL@TS: record that the change to the version at TS was reviewed.",
    )
    p.add_argument("--done", metavar="URL@TS", help="mark the change to this version reviewed")
    p.add_argument("--note", default="", help="with --done: what the reviewer concluded")
    p.add_argument(
        "--reviewer", default="", help="with --done: who (default $POLICYDIFF_REVIEWER, else your login)"
    )
    p.add_argument("--tag", help="only policies with this tag")
    p.add_argument("--log", action="store_true", help="print the review log (who, when, note) instead")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser(
        "notes",
        help="reviewers' notes on the paragraphs of a version, or add one",
        description="Lists the notes that reach this version (made on it or on an earlier one), each "
        "with its paragraph as it reads now: 'same', 'changed' since the note, or 'removed'. With "
        "--add PARAGRAPH --text NOTE: a note on a paragraph, given by its number (1 = first) or by "
        "words only it contains.",
    )
    p.add_argument("target", metavar="URL[@TS]", help="the version (default: the newest)")
    p.add_argument("--add", metavar="PARAGRAPH", help="the paragraph to note: its number, or words from it")
    p.add_argument("--text", default="", help="with --add: the note")
    p.add_argument(
        "--author", default="", help="with --add: who (default $POLICYDIFF_REVIEWER, else your login)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_notes)

    p = sub.add_parser(
        "schedule",
        help="print or install the platform's scheduler entry that runs 'update'",
        description="Prints the entry for this platform (a systemd user timer on Linux, a launchd "
        "agent on macOS, a Task Scheduler task on Windows; --platform cron: a crontab line). With "
        "--install the entry's files are written to your configuration folder, and the one command "
        "that turns it on is printed (nothing is started for you).",
    )
    p.add_argument("--every", choices=["hourly", "daily", "weekly"], default="daily")
    p.add_argument("--tag", default="", help="only update the policies with this tag")
    p.add_argument("--install", action="store_true", help="write the entry's files")
    p.add_argument(
        "--platform",
        choices=["systemd", "cron", "launchd", "schtasks"],
        help="another platform's entry (default: this one's)",
    )
    p.set_defaults(func=cmd_schedule)


# --- track -----------------------------------------------------------------------------------


@dataclass
class TrackResult:
    added: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def read_track_csv(text: str) -> tuple[list[tuple[int, str, str, tuple[str, ...]]], list[dict[str, Any]]]:
    """(line, url, name, tags) of each good row, and {line, error} of each bad one."""
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []  # (line the row starts on, cells)
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UsageError(f"the CSV file is malformed at line {reader.line_num}: {exc}") from None
    if not rows:
        raise UsageError("the CSV file is empty: it needs a header row with a 'url' column")
    header = [h.strip().lower() for h in rows[0][1]]
    if "url" not in header:
        raise UsageError(
            f"the CSV file's first row has no 'url' column (it has: {', '.join(header) or 'nothing'})"
        )
    col: dict[str, int] = {name: header.index(name) for name in ("url", "name", "tags") if name in header}
    good: list[tuple[int, str, str, tuple[str, ...]]] = []
    bad: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        url = cell("url")
        if not url:
            bad.append({"line": line, "error": "no url"})
            continue
        try:
            url = normalize_url(url)
        except InvalidURLError as exc:
            bad.append({"line": line, "error": str(exc)})
            continue
        key = policy_key(url)  # http/https, www. and trailing-slash variants are one policy
        if key in seen:
            bad.append({"line": line, "error": f"the same policy as line {seen[key]}"})
            continue
        seen[key] = line
        good.append((line, url, cell("name"), split_tags(cell("tags"))))
    return good, bad


def cmd_track(args: argparse.Namespace) -> int:
    path = args.csv
    try:
        text = sys.stdin.read() if path == "-" else Path(path).expanduser().read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the CSV file {path}: {exc}") from None
    good, bad = read_track_csv(text)
    result = TrackResult(errors=bad)
    with open_archive(args) as archive:
        portfolio = Portfolio(archive)
        for line, url, name, tags in good:
            try:
                policy, created = portfolio.track(url, name, tags)
            except ArchiverError as exc:
                result.errors.append({"line": line, "error": str(exc)})
                continue
            result.added.append(
                {"line": line, "url": policy.url, "name": name, "tags": list(tags), "new": created}
            )
    result.errors.sort(key=lambda e: int(e["line"]))
    if args.json:
        print_json({"added": result.added, "errors": result.errors})
    else:
        for a in result.added:
            state = "added" if a["new"] else "updated"
            print(f"{state}  {a['url']}" + (f"  ({a['name']})" if a["name"] else ""))
        for e in result.errors:
            print(f"policydiff: {path}, line {e['line']}: {e['error']}", file=sys.stderr)
        print(
            f"{len(result.added)} policies added or updated, {len(result.errors)} rows refused",
            file=sys.stderr,
        )
    return 1 if result.errors else 0


def cmd_edit(args: argparse.Namespace) -> int:
    if args.name is None and args.tags is None and args.note is None:
        raise UsageError("say what to set: --name, --tags or --note")
    with open_archive(args) as archive:
        portfolio = Portfolio(archive)
        policy = archive.get_policy(args.url)
        if args.name is not None:
            portfolio.set_name(policy, args.name)
        if args.tags is not None:
            portfolio.set_tags(policy, split_tags(args.tags))
        if args.note is not None:
            portfolio.set_note(policy, args.note)
        info = next(i for i in portfolio.infos() if i.policy.id == policy.id)
    print(
        f"{info.name}  [{', '.join(info.tags)}]  {display_url(policy.url)}"
        + (f"\n  {info.note}" if info.note else "")
    )
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with open_archive(args) as archive:
        policy = archive.get_policy(args.url)
        name = next((i.name for i in Portfolio(archive).infos() if i.policy.id == policy.id), None)
        if name is None:  # found by benchmarks/fuzz.py: a second remove was a StopIteration
            raise NotFoundError(f"{display_url(policy.url)} is not on the list: it was removed already")
        Portfolio(archive).remove(policy)
    print(
        f"Removed {name} ({display_url(policy.url)}) from the list. Its {policy.captures} captures stay "
        "in the archive and in its ledger ('verify' still checks them); fetching or tracking the URL "
        "again brings it back with its history."
    )
    return 0


# --- update ----------------------------------------------------------------------------------


def change_json(change: Change) -> dict[str, Any]:
    before, first = change.window
    return {
        "timestamp": change.timestamp,
        "baseline": change.base.timestamp,
        "window": {"last_before": before, "first_with": first},
        "words": change.version.words,
        "flags": list(change.version.flags),
    }


def cmd_update(args: argparse.Namespace) -> int:
    from ..updates import UpdateRun, update_policies

    endpoints = (
        [archive_endpoint(p, args.archive_kind) for p in args.archive_url] if args.archive_url else None
    )
    run = UpdateRun()
    with open_archive(args) as archive, open_session(args) as session:
        policies = Portfolio(archive).selection(tag=args.tag or "")
        tty = sys.stderr.isatty() and not args.json
        for progress in update_policies(
            archive, session, endpoints, policies, run, live=args.live, kind=args.archive_kind
        ):
            if tty and progress.message:
                sys.stderr.write(f"\r\033[K[{progress.done + 1}/{progress.total}] {progress.message}"[:200])
        if tty:
            sys.stderr.write("\r\033[K")
    report = [
        {
            "url": r.info.policy.url,
            "name": r.info.name,
            "tags": list(r.info.tags),
            "changes": [change_json(c) for c in r.changes],
            **({"error": r.error} if r.error else {}),
        }
        for r in run.results
    ]
    if args.json:
        print_json({"policies": report, "changed": len(run.changed), "errors": len(run.errors)})
    else:
        print_digest(report)
    if args.html:
        Path(args.html).expanduser().write_text(digest_html(report), encoding="utf-8")
    if run.errors:
        return 2
    return 1 if run.changed else 0


def print_digest(report: list[dict[str, Any]]) -> None:
    changed = [e for e in report if e["changes"]]
    for e in report:
        if "error" in e:
            print(f"policydiff: {e['name']} ({e['url']}): {e['error']}", file=sys.stderr)
    if not changed:
        print(f"No changes in {len(report)} policies since the last update.")
        return
    print(f"{len(changed)} of {len(report)} policies changed since the last update:")
    for e in changed:
        print(f"\n{e['name']}  {e['url']}")
        for c in e["changes"]:
            w = c["window"]
            print(
                f"  changed between {display(w['last_before'])} and {display(w['first_with'])} UTC  ({c['words']} words)"
            )


def digest_html(report: list[dict[str, Any]]) -> str:
    """The digest as a self-contained page (for a mail or an intranet), everything escaped."""
    esc = html.escape
    rows = []
    for e in report:
        if not e["changes"] and "error" not in e:
            continue
        for c in e["changes"] or [None]:
            if c is None:
                cells = f"<td colspan=2 class=err>{esc(e['error'])}</td>"
            else:
                w = c["window"]
                cells = f"<td>{esc(display(w['last_before']))}</td><td>{esc(display(w['first_with']))}</td>"
            rows.append(
                f'<tr><td>{esc(e["name"])}</td><td><a href="{esc(e["url"])}">{esc(e["url"])}</a></td>'
                f"<td>{esc(', '.join(e['tags']))}</td>{cells}</tr>"
            )
    body = (
        "<table><tr><th>policy</th><th>URL</th><th>tags</th><th>last capture before</th>"
        "<th>first capture with the change</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No changes since the last update.</p>"
    )
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>policydiff update</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}.err{color:#a00}</style>"
        f"</head><body><h1>Policy changes since the last update</h1>{body}</body></html>\n"
    )


# --- review ----------------------------------------------------------------------------------


def cmd_review(args: argparse.Namespace) -> int:
    with open_archive(args) as archive:
        portfolio = Portfolio(archive)
        if args.done:
            url, sep, ts = args.done.rpartition("@")
            if not sep or not url or not ts:
                raise UsageError(f"--done takes URL@TIMESTAMP, not {args.done!r}")
            policy = archive.get_policy(url)
            review = portfolio.mark_reviewed(policy, ts, args.reviewer, args.note)
            print(
                f"reviewed  {display_url(policy.url)} @ {display(review.version_timestamp)} "
                f"(against {display(review.baseline_timestamp)}) by {review.reviewer}"
            )
            return 0
        policies = portfolio.selection(tag=args.tag or "")
        if args.log:
            by_id = {p.id: p for p in policies}
            entries = [r for r in portfolio.reviews() if r.policy_id in by_id]
            if args.json:
                print_json(
                    [
                        {
                            "url": by_id[r.policy_id].url,
                            "timestamp": r.version_timestamp,
                            "baseline": r.baseline_timestamp,
                            "reviewer": r.reviewer,
                            "reviewed_at": r.reviewed_at,
                            "note": r.note,
                        }
                        for r in entries
                    ]
                )
            for r in [] if args.json else entries:
                print(
                    f"{r.reviewed_at}  {r.reviewer}  {display_url(by_id[r.policy_id].url)} @ "
                    f"{display(r.version_timestamp)}" + (f"  {r.note}" if r.note else "")
                )
            return 0
        pending = portfolio.unreviewed(policies)
    if args.json:
        print_json([{"url": c.policy.url, **change_json(c)} for c in pending])
        return 0
    for c in pending:
        before, first = c.window
        print(
            f"{display_url(c.policy.url)}  {display(c.base.timestamp)} -> {display(c.timestamp)}  "
            f"(changed between {display(before)} and {display(first)})"
        )
    print(f"{len(pending)} changes to review", file=sys.stderr)
    return 0


# --- notes -----------------------------------------------------------------------------------


def cmd_notes(args: argparse.Namespace) -> int:
    from ..notes import Notes

    url, sep, ts = args.target.rpartition("@") if "@" in args.target else (args.target, "", "")
    with open_archive(args) as archive:
        policy = archive.get_policy(url)
        versions = archive.versions(policy.id)
        if not versions:
            raise UsageError(f"{display_url(policy.url)} has no version yet: fetch or import it first")
        version = archive.version_at(policy.url, ts) if ts else versions[-1]
        notes = Notes(archive)
        if args.add:
            note = notes.add(policy, version.timestamp, args.add, args.text, args.author)
            print(f"noted  {display_url(policy.url)} @ {display(version.timestamp)}: {note.paragraph[:70]}")
            return 0
        if args.text:
            raise UsageError("--text goes with --add PARAGRAPH")
        placed = notes.in_version(policy, version, versions)
    if args.json:
        print_json(
            [
                {
                    "note": p.note.note,
                    "author": p.note.author,
                    "created_at": p.note.created_at,
                    "made_on": p.note.version_timestamp,
                    "state": str(p.state),
                    "paragraph_then": p.note.paragraph,
                    "paragraph_now": p.paragraph or None,
                }
                for p in placed
            ]
        )
        return 0
    labels = {
        "same": "",
        "changed": "  [paragraph changed since the note]",
        "removed": "  [paragraph removed]",
    }
    for p in placed:
        print(
            f"{p.note.author}, {p.note.created_at} (on {display(p.note.version_timestamp)}){labels[p.state]}"
        )
        print(f"  {p.note.note}")
        print(f"  > {(p.paragraph or p.note.paragraph)[:100]}")
    if not placed:
        print("no notes reach this version", file=sys.stderr)
    return 0


# --- schedule --------------------------------------------------------------------------------


def cmd_schedule(args: argparse.Namespace) -> int:
    from ..schedule import install, schedule_entry
    from . import archive_root

    entry = schedule_entry(
        args.every, archive_root(args).resolve(), Path.home(), tag=args.tag, platform=args.platform
    )
    if args.install and entry.files:
        for path in install(entry):
            print(f"wrote {path}")
        print(f"Turn it on with:\n  {entry.enable}")
        return 0
    for path, content in entry.files:
        print(f"# {path}\n{content}")
    if entry.platform == "cron":
        print(f"# add this line with 'crontab -e':\n{entry.enable}")
    elif args.install:  # schtasks: the command itself is the installation
        print(f"Run this command to install it:\n  {entry.enable}")
    else:
        print(f"# then: {entry.enable}")
    return 0

"""Commands on the local archive: import, policies, versions, verify, reextract."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..attached import AttachedBody, attachments
from ..capture_dates import CaptureDate, DateSource
from ..errors import UsageError
from ..history.windows import VersionWindow, version_windows
from ..models import Capture, VerifyProblem, Version
from ..timestamps import display
from ..urls import display_url
from . import open_archive, print_json
from .args import capture_date_arg, path_arg, url_arg

if TYPE_CHECKING:
    from ..portfolio import PolicyInfo


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="store local files (HTML, PDF, Princeton-Leuven Markdown, WARC, WACZ) as captures",
        description="Store local files as captures. Princeton-Leuven Markdown, WARC and WACZ files carry "
        "their own URL and date. HTML, PDF and text files need --url and a capture date: --date (for "
        "one file), else the HTTP Date saved with the page (wget --save-headers), else a timestamp in "
        "the file name (20230425183000.html, privacy-2023-04-25.html), else --date-from-mtime (the time "
        "the file was saved, stated as such). Each capture records where its date came from.",
    )
    p.add_argument("paths", nargs="+", type=path_arg, metavar="PATH")
    p.add_argument("--url", type=url_arg, help="the page the HTML/PDF files are copies of")
    dating = p.add_mutually_exclusive_group()
    dating.add_argument(
        "--date",
        type=capture_date_arg,
        metavar="YYYYMMDDhhmmss",
        help="capture time in UTC (4 to 14 digits) of the one file imported",
    )
    dating.add_argument(
        "--date-from-mtime",
        action="store_true",
        help="date files that carry no date by their modification time (when the copy was saved)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("policies", help="list the tracked policies with their names, tags and counts")
    p.add_argument("--tag", help="only the policies with this tag")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_policies)

    p = sub.add_parser(
        "versions",
        help="list the versions (distinct texts) of one policy, oldest first",
        description="URLs match regardless of scheme, 'www.', a trailing slash or a #fragment.",
    )
    p.add_argument("url", type=url_arg)
    p.add_argument(
        "--json",
        action="store_true",
        help="print JSON; each version's window says when the change happened (from: last capture with "
        "the previous text, to: first with this one) and whether it is exact (adjacent in the listing) "
        "or open (captures between not downloaded yet: 'policydiff bisect URL@FROM URL@TO')",
    )
    p.add_argument(
        "--flag",
        action="append",
        metavar="FLAG",
        help="only versions with this flag (repeatable: any of them), e.g. silent-change, date-only-change, "
        "date-backwards, effective-in-future",
    )
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser("verify", help="re-hash every stored capture and check the database")
    p.add_argument(
        "--head",
        metavar="N:SHA256",
        help="also check a ledger head noted earlier (as verify printed it: N entries, head sha256): "
        "the same hash at entry N proves nothing recorded up to then was changed",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "recover",
        help="rebuild a missing, empty or damaged archive database, or one behind its journals, from the "
        "raw files and the journals",
        description="Rebuild archive.sqlite3 from the ledger journal (ledger.jsonl) and the raw files: "
        "the same captures, ids and ledger (so the same head hash), texts extracted again, then the user's "
        "work (names, rules, tags, notes, reviews, removals, paragraph notes, attached bodies) from "
        "curation.jsonl. A database "
        "still there is kept aside as archive.sqlite3.damaged-TIME (or .older-TIME when it was an older "
        "copy, behind the journals), never deleted. Lists what could not be restored.",
    )
    p.set_defaults(func=cmd_recover)

    p = sub.add_parser(
        "reextract",
        help="after an upgrade: list the versions whose text re-extraction would change (--apply stores it)",
        description="Re-run text extraction on the stored raw bytes of every capture whose text was "
        "made by another extractor version or with other versions of the libraries that shape the text "
        "(its extraction fingerprint), and list the captures, with their version, whose text would "
        "change. Nothing is changed unless --apply is given, so an upgrade never silently creates or "
        "merges versions. Exit 1 when some capture could not be extracted again (its old text is kept).",
    )
    p.add_argument("url", nargs="?", type=url_arg, help="only this policy")
    p.add_argument("--apply", action="store_true", help="store the new texts and fingerprints")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reextract)


def cmd_import(args: argparse.Namespace) -> int:
    from ..exports import WEB_ARCHIVE_SUFFIXES
    from ..pipeline import import_paths

    warcs = [p for p in args.paths if p.lower().endswith(WEB_ARCHIVE_SUFFIXES)]
    others = [p for p in args.paths if p not in warcs]
    failures = 0
    with open_archive(args) as archive:
        results = (
            list(
                import_paths(
                    archive, others, url=args.url, date=args.date, date_from_mtime=args.date_from_mtime
                )
            )
            if others
            else []
        )
        if warcs:
            from ..exports.warc_import import import_warcs

            results.extend(import_warcs(archive, warcs))
        for r in results:
            failures += bool(r.error)
            if args.json:
                continue
            if r.error:
                print(f"failed   {r.path}: {r.error.removeprefix(f'{r.path}: ')}", file=sys.stderr)
            elif r.capture is not None:
                state = "stored  " if r.created else "already "
                print(f"{state} {r.path} -> {r.capture.original_url} @ {r.capture.timestamp}")
            if r.warning:
                print(f"warning  {r.path}: {r.warning}", file=sys.stderr)
        if args.json:
            print_json(
                [
                    {
                        "path": r.path,
                        "created": r.created,
                        "capture": _capture_json(r.capture) if r.capture else None,
                        "warning": r.warning or None,
                        "error": r.error or None,
                    }
                    for r in results
                ]
            )
    return 1 if failures else 0


def cmd_policies(args: argparse.Namespace) -> int:
    from ..portfolio import Portfolio

    with open_archive(args) as archive:
        infos = sorted(
            Portfolio(archive).infos(tag=args.tag or ""), key=lambda i: (i.name.casefold(), i.policy.url)
        )
    if args.json:
        print_json([_policy_json(i) for i in infos])
        return 0
    if not infos:
        print(
            "no policies yet: add one with 'policydiff fetch URL', 'policydiff track --csv FILE' or "
            "'policydiff import FILE'"
            if not args.tag
            else f"no policy has the tag {args.tag!r}",
            file=sys.stderr,
        )
    for i in infos:
        p = i.policy
        tags = f"  [{', '.join(i.tags)}]" if i.tags else ""
        pending = f"  {i.unreviewed} to review" if i.unreviewed else ""
        print(
            f"{p.versions:4d} versions {p.captures:5d} captures  {i.name}  {display_url(p.url)}{tags}{pending}"
        )
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from ..extraction.dates import parse_stored

    with open_archive(args) as archive:
        policy = archive.get_policy(args.url)
        versions = archive.versions(policy.id)
        windows = version_windows(archive, policy, versions)
        dates = archive.dates_of(c for v in versions for c in v.captures)
        raw = attachments(archive, [c for v in versions for c in v.captures])
        shown = [
            (v, w)
            for v, w in zip(versions, windows, strict=True)
            if not args.flag or set(args.flag) & set(v.flags)
        ]
        if args.json:
            out = []
            for v, w in shown:
                found = (
                    parse_stored(archive.text(v.text_sha256), v.language, v.stated_date)
                    if v.stated_date
                    else None
                )
                out.append(
                    {
                        **version_json(v, dates),
                        "window": window_json(w),
                        "stated_dates": found.as_json() if found is not None else None,
                        "raw_memento": _attached_json(raw.get(v.first.id)),
                    }
                )
            print_json(out)
            return 0
    for v, w in shown:
        flags = f"  [{', '.join(v.flags)}]" if v.flags else ""
        span = f" .. {display(v.captures[-1].timestamp)}" if len(v.captures) > 1 else ""
        stated = f"  stated {v.stated_date}" if v.stated_date else ""
        print(
            f"{display(v.timestamp)}{span}  {v.words:6d} words  {len(v.captures)} capture(s){stated}{flags}"
            + window_text(w)
            + (
                f"  (layout only changed at {', '.join(map(display, v.layout_only))})"
                if v.layout_only
                else ""
            )
        )
        if v.first.id in dates and dates[v.first.id].source not in _ARCHIVE_DATED:
            print(f"    dated by {dates[v.first.id].describe()}")
        if v.first.id in raw:
            print(f"    {raw[v.first.id].describe()}")
    return 0


def window_json(w: VersionWindow) -> dict[str, Any]:
    """When the change happened: after ``from`` (last capture with the previous text), by ``to``."""
    return {
        "from": w.previous.timestamp if w.previous else None,
        "to": w.first.timestamp,
        "exact": w.exact,  # adjacent in the archive's listing; null: no listing tells
        # first: the oldest version (no change before it); unknown: no listing covers the two captures
        "state": "first" if w.previous is None else {True: "exact", False: "open", None: "unknown"}[w.exact],
        "unknown_between": w.unknown if w.listed else None,  # listed between, not downloaded yet
    }


def window_text(w: VersionWindow) -> str:
    if w.previous is None:
        return ""
    if w.exact is None:
        return f"  changed after {display(w.previous.timestamp)}"
    if w.exact:
        state = "exact"
    elif not w.listed:
        state = "open: the captures between were never listed"
    else:
        state = f"open: {w.unknown} captures between not downloaded"
    return f"  changed after {display(w.previous.timestamp)} ({state})"


def cmd_verify(args: argparse.Namespace) -> int:
    with open_archive(args, verifying=True) as archive:
        problems = archive.verify()
        stats = archive.stats()
        entries, head = archive.ledger_head()
        if args.head:
            problems += _noted_head_problems(archive, args.head)
    if args.json:
        print_json(
            {
                "ok": not problems,
                **stats,
                "ledger": {"entries": entries, "head": head},
                "problems": [{"capture_id": p.capture_id or None, "problem": p.what} for p in problems],
            }
        )
    else:
        for p in problems:
            print(f"BAD {p}")
        verdict = "OK" if not problems else f"{len(problems)} problem(s)"
        print(
            f"{verdict}: {stats['captures']} captures, {stats['texts']} texts in {archive.root}; "
            f"ledger of {entries} entries, head sha256 {head} (note it down: 'policydiff verify --head "
            f"{entries}:{head[:8]}…' later proves nothing recorded up to now was changed)",
            file=sys.stderr,
        )
    return 1 if problems else 0


def _noted_head_problems(archive: Any, noted: str) -> list[VerifyProblem]:
    count, _, digest = noted.partition(":")
    if not count.isdigit() or int(count) < 1 or len(digest) != 64:
        raise UsageError(
            f"--head {noted}: give N:SHA256 as verify printed it (entries, then the 64-digit head)"
        )
    found = archive.ledger_hash(int(count))
    if found is None:
        return [
            VerifyProblem(
                0, f"the ledger has no entry {count}: entries were removed since the head was noted"
            )
        ]
    if found != digest.lower():
        return [
            VerifyProblem(
                0, f"ledger entry {count} is {found}, not the noted head {digest}: the history was rewritten"
            )
        ]
    return []


def cmd_recover(args: argparse.Namespace) -> int:
    """Exit 1 when something could not be restored (it is listed)."""
    from ..recovery import rebuild
    from . import archive_root

    report = rebuild(archive_root(args))
    if report.kept_aside:
        print(f"kept the old database aside as {report.kept_aside}", file=sys.stderr)
    for where in report.missing_blobs:
        print(f"MISSING  raw file of {where}: the capture is restored without its bytes")
    for sha in report.orphans:
        print(f"ORPHAN   raw file blobs/{sha[:2]}/{sha}: no ledger entry names it (kept)")
    for number in report.bad_lines:
        print(f"BAD      ledger journal line {number} cannot be read (left out)")
    for what in report.curation_lost:
        print(f"LOST     {what}")
    for number in report.curation_bad_lines:
        print(f"BAD      curation journal line {number} cannot be read (left out)")
    entries, head = report.ledger
    print(
        f"restored {report.restored} captures ({report.texts} with their text) into {archive_root(args)}; "
        f"ledger of {entries} entries, head sha256 {head}",
        file=sys.stderr,
    )
    if report.curation:
        n = report.curation
        print(
            f"restored the user's work from curation.jsonl: policies named {n['names']}, with rules "
            f"{n['rules']}, tagged {n['tags']}, with a note {n['notes']}, removed {n['removed']}; "
            f"{n['reviews']} reviews, {n['paragraph_notes']} paragraph notes, {n['attached']} attached bodies",
            file=sys.stderr,
        )
    else:
        print(
            "no curation journal (curation.jsonl): names, rules, tags and notes were not restored",
            file=sys.stderr,
        )
    lost = report.curation_lost or report.curation_bad_lines
    return 1 if report.missing_blobs or report.orphans or report.bad_lines or lost else 0


def cmd_reextract(args: argparse.Namespace) -> int:
    """Exit 1 when some capture could not be extracted again (its old text is kept)."""
    from ..pipeline import ReextractChange, ReextractSummary, reextract

    changes: list[ReextractChange] = []
    summary: ReextractSummary | None = None
    with open_archive(args) as archive:
        policy = archive.get_policy(args.url) if args.url else None
        for item in reextract(archive, policy, apply=args.apply):
            if isinstance(item, ReextractChange):
                changes.append(item)
                if not args.json:
                    print(_change_line(item, args.apply))
            elif isinstance(item, ReextractSummary):
                summary = item
    assert summary is not None
    if args.json:
        print_json(
            {
                "applied": summary.applied,
                "checked": summary.checked,
                "outdated": summary.outdated,
                "changed": summary.changed,
                "failed": summary.failed,
                "fingerprint": summary.fingerprint,
                "differences": list(summary.differences),
                "changes": [
                    {
                        "url": c.policy.url,
                        "timestamp": c.capture.timestamp,
                        "version": c.version or None,
                        "old_text_sha256": c.old_text_sha256 or None,
                        "new_text_sha256": c.new_text_sha256 or None,
                        "old_words": c.old_words,
                        "new_words": c.new_words if c.new_text_sha256 else None,
                        "error": c.error or None,
                    }
                    for c in changes
                ],
            }
        )
    else:
        print(_reextract_summary(summary), file=sys.stderr)
    return 1 if summary.failed else 0


def _change_line(c: Any, applied: bool) -> str:
    where = f"{c.policy.url} @ {c.capture.timestamp}"
    of = f"version {c.version}" if c.version else "no text before"
    if c.error:
        return f"failed        {where} ({of}): {c.error}"
    words = f"{c.old_words} → {c.new_words} words" if c.old_text_sha256 else f"{c.new_words} words"
    return f"{'changed' if applied else 'would change':13} {where} ({of}: {words})"


def _reextract_summary(s: Any) -> str:
    if not s.outdated:
        return f"all {s.checked} capture(s) are up to date (extraction fingerprint {s.fingerprint})"
    why = "; ".join(s.differences) or "made by another extractor version"
    head = f"{s.outdated} of {s.checked} capture(s) out of date ({why}): "
    failed = f", {s.failed} could not be extracted again (old text kept)" if s.failed else ""
    if s.applied:
        return head + f"{s.changed} text(s) changed{failed}; the new texts and fingerprints are stored"
    what = "the new texts" if s.changed else "the new fingerprints (no version changes)"
    return (
        head + f"{s.changed} text(s) would change{failed}; nothing was changed: run 'policydiff "
        f"reextract --apply' to store {what}"
    )


def _policy_json(info: PolicyInfo) -> dict[str, Any]:
    p = info.policy
    return {
        "url": p.url,
        "name": info.name,
        "label": p.label,
        "tags": list(info.tags),
        "note": info.note,
        "captures": p.captures,
        "versions": p.versions,
        "last_change": info.last_change or None,
        "unreviewed": info.unreviewed,
    }


def _capture_json(c: Capture) -> dict[str, Any]:
    return {
        "id": c.id,
        "timestamp": c.timestamp,
        "url": c.original_url,
        "source": str(c.source),
        "archive": c.archive or None,
        "memento_url": c.memento_url or None,
        "retrieved_at": c.retrieved_at,
        "http_status": c.http_status,
        "content_type": c.content_type,
        "size": c.size,
        "sha256": c.sha256,
        "flags": list(c.flags),
    }


#: captures dated by an archive's own capture time: the usual case, not repeated under each version
_ARCHIVE_DATED = frozenset({DateSource.ARCHIVE, DateSource.WARC_RECORD, DateSource.PLLC_HEADER})


def _attached_json(body: AttachedBody | None) -> dict[str, Any] | None:
    """The memento's raw bytes attached to a corpus capture, and whether our extraction agrees."""
    if body is None:
        return None
    return {
        "sha256": body.sha256,
        "memento_url": body.memento_url,
        "retrieved_at": body.retrieved_at,
        "size": body.size,
        "text_sha256": body.text_sha256,
        "agrees_with_corpus_text": body.agrees,
    }


def _date_json(date: CaptureDate | None) -> dict[str, str] | None:
    if date is None:
        return None
    return {"source": str(date.source), "detail": date.detail, "description": date.describe()}


def version_json(v: Version, dates: Mapping[int, CaptureDate] | None = None) -> dict[str, Any]:
    """A version as JSON; ``dates`` (Archive.dates_of) adds each capture's date source."""
    first = v.captures[0]
    return {
        "timestamp": v.timestamp,
        "url": first.original_url,
        "sha256": first.sha256,
        "text_sha256": v.text_sha256,
        "words": v.words,
        "flags": list(v.flags),
        "source": str(first.source),
        "language": v.language or None,
        "stated_date": v.stated_date or None,
        "extractor_version": v.extractor_version,
        "last_timestamp": v.captures[-1].timestamp,
        "previous_timestamp": v.previous_capture.timestamp if v.previous_capture else None,
        "layout_only": list(v.layout_only),  # later captures with the same words in another layout
        "captures": [
            {**_capture_json(c), "date_source": _date_json((dates or {}).get(c.id))} for c in v.captures
        ],
    }

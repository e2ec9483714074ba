"""Network commands: `captures` (list), `fetch` (download into the archive), `capture` (live page,
Save Page Now), `keys` (the Internet Archive keys Save Page Now uses)."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..client.endpoints import DEFAULT_PREFIX, ArchiveEndpoint, ArchiveKind, archive_endpoint
from ..client.listing import ListedCapture, list_captures, make_query, same_url, similar_urls
from ..client.session import Session
from ..errors import ArchiverError, KeychainError, MissingCredentialsError, UsageError
from ..timestamps import display
from . import open_archive, open_session, print_json
from .args import date_arg, prefix_arg, url_arg
from .changes_cmds import METHOD, add_fetch_options, fetch_changes, report, summary_json

if TYPE_CHECKING:
    from ..client.iakeys import IAKeys

DATE_HELP = "4 to 14 digits, YYYY[MM[DD[hh[mm[ss]]]]], UTC (as the CDX API takes them)"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def archive_opts(p: argparse.ArgumentParser, dates: bool = True) -> None:
        p.add_argument("url", type=url_arg, help="the policy's URL")
        p.add_argument(
            "--archive-url",
            type=prefix_arg,
            action="append",
            metavar="PREFIX",
            help=f"the archive's replay prefix (default {DEFAULT_PREFIX}; a pywb collection is "
            "http://HOST:PORT/COLL/); give it several times to merge several archives' captures "
            "(each capture keeps its archive)",
        )
        p.add_argument(
            "--archive-kind",
            choices=[k.value for k in ArchiveKind],
            default="auto",
            help="how to list captures: ia (CDX server), pywb (its CDX), timemap (Memento); default auto",
        )
        if dates:
            p.add_argument("--from", dest="from_date", type=date_arg, metavar="DATE", help=DATE_HELP)
            p.add_argument("--to", dest="to_date", type=date_arg, metavar="DATE", help=DATE_HELP)
            p.add_argument(
                "--exact-url",
                action="store_true",
                help="only captures of this exact URL, not of its http/https, www., trailing-slash "
                "or utm_ variants (by default they are one policy)",
            )
        p.add_argument("--json", action="store_true", help="print JSON on stdout")

    p = sub.add_parser("captures", help="list what an archive holds for a URL, without downloading")
    archive_opts(p)
    p.set_defaults(func=cmd_captures)

    p = sub.add_parser(
        "fetch",
        help="find every change of a URL's policy text, downloading as few captures as it can "
        "(--every-capture: all of them)",
        description=METHOD,
    )
    archive_opts(p)
    add_fetch_options(p)
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("capture", help="store today's page, fetched from the site itself")
    p.add_argument("url", type=url_arg, help="the policy's URL")
    p.add_argument(
        "--save-page-now",
        action="store_true",
        help="also ask the Wayback Machine to capture it (needs your Internet Archive S3 keys: from "
        "the system keychain, IA_ACCESS_KEY/IA_SECRET_KEY, or asked for at a terminal)",
    )
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    p.set_defaults(func=cmd_capture)

    p = sub.add_parser(
        "keys",
        help="the Internet Archive S3 keys Save Page Now uses: where they come from, store, forget",
        description="Without an option: say where the keys come from (the secret is never shown). "
        "Keys are read from IA_ACCESS_KEY/IA_SECRET_KEY first, then from the system keychain.",
    )
    action = p.add_mutually_exclusive_group()
    action.add_argument(
        "--set", action="store_true", help="ask for the keys and store them in the system keychain"
    )
    action.add_argument("--forget", action="store_true", help="remove them from the system keychain")
    p.set_defaults(func=cmd_keys)


def listed_json(row: ListedCapture) -> dict[str, Any]:
    return {
        "timestamp": row.timestamp,
        "original": row.original,
        "status": row.status,
        "mimetype": row.mimetype,
        "digest": row.digest,
        "length": row.length,
        "revisit": row.is_revisit,
        "source": row.endpoint,
    }


def prefixes(args: argparse.Namespace) -> list[str]:
    """The archives --archive-url names, in the order given (the Wayback Machine when none)."""
    return list(dict.fromkeys(args.archive_url or [DEFAULT_PREFIX]))


def cmd_captures(args: argparse.Namespace) -> int:
    endpoints = [archive_endpoint(p, args.archive_kind) for p in prefixes(args)]
    with open_session(args) as session:
        listed = [
            (r, e.prefix)
            for e in endpoints
            for r in list_captures(session, e, args.url, args.from_date, args.to_date)
        ]
        listed.sort(key=lambda item: (item[0].timestamp, item[1]))  # one listing, the archives merged
        left_out = 0
        if args.exact_url:
            url = make_query(args.url).url
            kept = [item for item in listed if same_url(item[0].original, url)]
            left_out, listed = len(listed) - len(kept), kept
        if args.json:
            print_json([{**listed_json(r), "archive": prefix} for r, prefix in listed])
            return 0
        if not listed:
            where = ", ".join(e.prefix for e in endpoints)
            print(
                f"No captures found for {args.url} at {where}. Try another scheme or host "
                "variant, a wider --from/--to, or another archive with --archive-url.",
                file=sys.stderr,
            )
            if left_out:
                print(_left_out(left_out), file=sys.stderr)
            else:
                for e in endpoints:
                    _print_suggestions(_suggestions(session, e, args))
            return 0
    several = len(endpoints) > 1
    for r, prefix in listed:
        status = "revisit" if r.is_revisit else (str(r.status) if r.status is not None else "-")
        source = f"  {prefix}" if several else ""
        print(f"{display(r.timestamp)} UTC  {status:>7}  {r.mimetype or '-':<24}  {r.original}{source}")
    print(f"{len(listed)} captures", file=sys.stderr)
    if left_out:
        print(_left_out(left_out), file=sys.stderr)
    return 0


def _left_out(count: int) -> str:
    return f"{count} captures of other variants of this URL left out (--exact-url)."


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch from each archive named, one after the other (one polite queue: the process-wide pacer);
    their captures land in the one policy, each keeping its archive."""
    archives = prefixes(args)
    if len(archives) == 1:
        return fetch_from(args, archives[0])
    if not args.json:
        code = 0
        for prefix in archives:
            print(f"{prefix}:", file=sys.stderr)
            code = max(code, fetch_from(args, prefix))
        return code
    import contextlib
    import io
    import json

    results, code = [], 0
    for prefix in archives:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = max(code, fetch_from(args, prefix))
        results.append({"archive": prefix, **json.loads(out.getvalue())})
    totals = {k: sum(r[k] for r in results) for k, v in results[0].items() if isinstance(v, int)}
    print_json({**totals, "failures": [f for r in results for f in r["failures"]], "archives": results})
    return code


def fetch_from(args: argparse.Namespace, prefix: str) -> int:
    from ..client.jobs import FetchJob
    from ..history.state import save_listing

    endpoint = archive_endpoint(prefix, args.archive_kind)
    memento = endpoint.parse_replay_url(args.url)
    if memento is not None and len(memento[0]) == 14:  # a memento URL: download that one capture
        args.url, args.from_date, args.to_date = unquote(memento[2]), memento[0], memento[0]
        args.every_capture = True
    if not args.every_capture:
        with open_session(args) as session, open_archive(args) as arc:
            changes = fetch_changes(args, session, arc, endpoint)
        code = report(changes, args, f"fetch {args.url}")
        if not args.json:
            if changes.left_out:
                print(_left_out(changes.left_out), file=sys.stderr)
            _print_suggestions(changes.suggestions)
        return code
    with open_session(args) as session, open_archive(args) as arc:
        job = FetchJob(
            arc,
            session,
            endpoint,
            args.url,
            args.from_date,
            args.to_date,
            exact=args.exact_url,
            on_listed=save_listing,  # kept for version windows
        )
        tty = sys.stderr.isatty()
        for progress in job.run():
            count = f"[{progress.done}/{progress.total}] " if progress.total else ""
            line = f"{count}{progress.message}"
            if tty:
                sys.stderr.write("\r\033[K" + line[:200])
            else:
                sys.stderr.write(line + "\n")
            sys.stderr.flush()
        if tty:
            sys.stderr.write("\n")
        summary = job.summary
    assert summary is not None
    failures = summary.failed
    if args.json:
        print_json(summary_json(summary))
    else:
        print(
            f"{summary.listed} listed, {summary.downloaded} downloaded, {summary.reused} reused, "
            f"{summary.skipped} already archived, {len(failures)} failed"
        )
        for f in summary.failed:
            print(f"failed {f.timestamp} {f.original}: {f.reason}", file=sys.stderr)
        if summary.left_out:
            print(_left_out(summary.left_out), file=sys.stderr)
        _print_suggestions(summary.suggestions)
    return 1 if failures else 0


def _suggestions(session: Session, endpoint: ArchiveEndpoint, args: argparse.Namespace) -> tuple[str, ...]:
    try:
        return similar_urls(session, endpoint, args.url, args.from_date, args.to_date)
    except ArchiverError:
        return ()  # suggestions are a courtesy: the answer "no captures" stands


def _print_suggestions(urls: tuple[str, ...]) -> None:
    if urls:
        print("The archive has captures of these nearby URLs:", file=sys.stderr)
        for url in urls:
            print(f"  {url}", file=sys.stderr)


def cmd_capture(args: argparse.Namespace) -> int:
    from ..client.iakeys import find_keys
    from ..client.jobs import capture_live, save_page_now_job
    from ..urls import normalize_url

    url = normalize_url(args.url)
    keys: IAKeys | None = None
    remember = False
    if args.save_page_now:
        keys, why = find_keys()
        if keys is None:
            keys, remember = _ask_keys("--save-page-now", why)
    with open_session(args) as session, open_archive(args) as arc:
        stored, created, page = capture_live(arc, session, url)
        result: dict[str, Any] = {
            "capture_id": stored.id,
            "created": created,
            "status": page.status,
            "final_url": page.final_url,
            "size": stored.size,
            "sha256": stored.sha256,
            "retrieved_at": page.retrieved_at,
        }
        spn_error = ""
        if args.save_page_now:
            try:
                spn = save_page_now_job(
                    arc,
                    session,
                    url,
                    keys,
                    on_keys_accepted=partial(_remember, keys) if remember and keys else None,
                )
                result["save_page_now"] = {
                    "job_id": spn.job_id,
                    "timestamp": spn.timestamp,
                    "memento_url": spn.memento_url,
                    "reused": spn.reused,
                }
            except ArchiverError as exc:
                spn_error = str(exc)
                result["save_page_now"] = {"error": spn_error}
    if args.json:
        print_json(result)
    else:
        state = "stored" if created else "already archived"
        print(f"{url}: HTTP {page.status}, {stored.size} bytes, {state} as capture {stored.id}")
        spn_info = result.get("save_page_now")
        if isinstance(spn_info, dict) and "memento_url" in spn_info:
            label = "reused existing capture" if spn_info["reused"] else "saved"
            print(f"Save Page Now: {label} {spn_info['memento_url']}")
    if spn_error:
        print(f"policydiff: Save Page Now: {spn_error}", file=sys.stderr)
        return 1
    return 0


def _ask_keys(what: str, why: str = "", offer_to_remember: bool = True) -> tuple[IAKeys, bool]:
    """Ask for the keys at a terminal (the secret unechoed) and whether to keep them in the keychain
    (``why``: what the keychain said, if it could not be read). Not at a terminal (a script, a
    pipe): the error says how to give them."""
    import getpass

    from ..client.iakeys import IAKeys

    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise MissingCredentialsError(what, why)
    print(
        f"{what} needs your Internet Archive S3 keys (https://archive.org/account/s3.php).", file=sys.stderr
    )
    if why:
        print(f"({why})", file=sys.stderr)
    sys.stderr.write("Access key: ")
    sys.stderr.flush()
    access = sys.stdin.readline().strip()
    secret = getpass.getpass("Secret key: ").strip()
    if not (access and secret):
        raise MissingCredentialsError(what, why)
    if not offer_to_remember:
        return IAKeys(access, secret), False
    sys.stderr.write("Remember them in the system keychain, once the Internet Archive accepts them? [y/N] ")
    sys.stderr.flush()
    return IAKeys(access, secret), sys.stdin.readline().strip().lower() in ("y", "yes")


def _remember(keys: IAKeys) -> None:
    """Keep keys the Internet Archive has just accepted; this run goes on if the keychain refuses."""
    from ..client.iakeys import remember_keys

    try:
        remember_keys(keys)
    except KeychainError as exc:
        print(f"policydiff: the keys were not remembered: {exc}", file=sys.stderr)
    else:
        print("The keys are stored in the system keychain.", file=sys.stderr)


def cmd_keys(args: argparse.Namespace) -> int:
    from ..client.iakeys import find_keys, forget_keys, keys_from_env, remember_keys

    also = " IA_ACCESS_KEY and IA_SECRET_KEY are still set, and come first." if keys_from_env() else ""
    if args.forget:
        removed = forget_keys()
        print(
            ("Removed the keys from the system keychain." if removed else "The system keychain held no keys.")
            + also
        )
        return 0
    if args.set:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise UsageError("policydiff keys --set asks for the keys: run it at a terminal")
        keys, _ = _ask_keys("policydiff keys --set", offer_to_remember=False)
        remember_keys(keys)
        print("Stored in the system keychain." + also)
        return 0
    found, note = find_keys()  # the keys and where they came from, or None and why
    if found is None:
        if note:
            raise KeychainError(note)
        print("No Internet Archive keys: policydiff keys --set stores them in the system keychain.")
        return 1
    print(f"Internet Archive keys from {note}: access key {found.access[:4]}… (the secret is not shown)")
    return 0

"""Commands on the local archive: import, policies, versions, verify, reextract."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import UsageError
from ..models import Capture, Policy, VerifyProblem, Version
from ..timestamps import display
from ..urls import display_url
from . import open_archive, print_json


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="store local files (HTML, PDF, Princeton-Leuven Markdown, WARC, WACZ) as captures",
        description="Store local files as captures. Princeton-Leuven Markdown files carry their own URL and "
        "date; HTML and PDF files need --url, and their date defaults to the file's modification time.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--url", help="the page the HTML/PDF files are copies of")
    p.add_argument("--date", metavar="YYYYMMDDhhmmss", help="capture time in UTC (4 to 14 digits)")
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("policies", help="list the tracked policies with their counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_policies)

    p = sub.add_parser(
        "versions",
        help="list the versions (distinct texts) of one policy, oldest first",
        description="URLs match regardless of scheme, 'www.', a trailing slash or a #fragment.",
    )
    p.add_argument("url")
    p.add_argument("--json", action="store_true")
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
        "reextract",
        help="re-run text extraction on the stored raw bytes (after an upgrade) and list what changed",
    )
    p.add_argument("url", nargs="?", help="only this policy")
    p.set_defaults(func=cmd_reextract)


def cmd_import(args: argparse.Namespace) -> int:
    from ..exports import WEB_ARCHIVE_SUFFIXES
    from ..pipeline import import_paths

    warcs = [p for p in args.paths if p.lower().endswith(WEB_ARCHIVE_SUFFIXES)]
    others = [p for p in args.paths if p not in warcs]
    failures = 0
    with open_archive(args) as archive:
        results = list(import_paths(archive, others, url=args.url, date=args.date)) if others else []
        if warcs:
            from ..exports.warc import import_warcs

            results.extend(import_warcs(archive, warcs))
        for r in results:
            failures += bool(r.error)
            if args.json:
                continue
            if r.error:
                print(f"failed   {r.path}: {r.error}", file=sys.stderr)
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
    with open_archive(args) as archive:
        policies = archive.policies()
    if args.json:
        print_json([_policy_json(p) for p in policies])
        return 0
    if not policies:
        print(
            "no policies yet: add one with 'policydiff fetch URL' or 'policydiff import FILE'",
            file=sys.stderr,
        )
    for p in policies:
        print(
            f"{p.versions:4d} versions {p.captures:5d} captures  {display_url(p.url)}"
            + (f"  ({p.label})" if p.label else "")
        )
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from ..extraction.dates import parse_stated_date

    with open_archive(args) as archive:
        policy = archive.get_policy(args.url)
        versions = archive.versions(policy.id)
        if args.flag:
            versions = [v for v in versions if set(args.flag) & set(v.flags)]
        if args.json:
            out = []
            for v in versions:
                item = version_json(v)
                found = parse_stated_date(archive.text(v.text_sha256), v.language) if v.stated_date else None
                item["stated_dates"] = found.as_json() if found is not None else None
                out.append(item)
            print_json(out)
            return 0
    for v in versions:
        flags = f"  [{', '.join(v.flags)}]" if v.flags else ""
        span = f" .. {display(v.captures[-1].timestamp)}" if len(v.captures) > 1 else ""
        stated = f"  stated {v.stated_date}" if v.stated_date else ""
        print(
            f"{display(v.timestamp)}{span}  {v.words:6d} words  {len(v.captures)} capture(s){stated}{flags}"
        )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with open_archive(args) as archive:
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


def cmd_reextract(args: argparse.Namespace) -> int:
    """Exit 1 when some capture could not be extracted again (its old text is kept)."""
    from ..pipeline import ReextractChange, reextract

    changed = failed = 0
    with open_archive(args) as archive:
        policy = archive.get_policy(args.url) if args.url else None
        for item in reextract(archive, policy):
            if not isinstance(item, ReextractChange):
                continue
            where = f"{item.policy.url} @ {item.capture.timestamp}"
            if item.error:
                failed += 1
                print(f"failed   {where}: {item.error}")
            else:
                changed += 1
                print(f"changed  {where}")
    print(f"{changed} capture(s) have a new text, {failed} could not be extracted again", file=sys.stderr)
    return 1 if failed else 0


def _policy_json(p: Policy) -> dict[str, Any]:
    return {"url": p.url, "label": p.label, "captures": p.captures, "versions": p.versions}


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


def version_json(v: Version) -> dict[str, Any]:
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
        "captures": [_capture_json(c) for c in v.captures],
    }

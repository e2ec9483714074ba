"""Commands across versions: `blame` (where each paragraph came from) and `search` (every version
of every policy)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from ..errors import NotFoundError
from ..timestamps import display
from . import open_archive, print_json

_TIMESTAMP = re.compile(r"\d[\d\-: T]*")  # 2024, 20240531183348, 2024-05-31 18:33
_SHOWN_CHARS = 240  # of a paragraph, in the text output (--json has it whole)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "blame",
        help="for each paragraph of a version: the version that introduced it and the last that changed it",
        description="Follows each paragraph back through the policy's versions with the diff engine's "
        "alignment (edits, moves, splits and merges). URL@TIMESTAMP names the version in force at that "
        "time (4 to 14 digits); the URL alone, the latest version.",
    )
    p.add_argument("target", metavar="URL[@TIMESTAMP]")
    p.add_argument("--json", action="store_true", help="one object per paragraph, with its history")
    p.set_defaults(func=cmd_blame)

    p = sub.add_parser(
        "search",
        help="search every version of every policy: which versions say it, first appeared, last seen",
        description="QUERY is matched against single paragraphs, ignoring case and accents: words (all in "
        'one paragraph), "a phrase" in double quotes, prefix* for word starts, OR, NOT, NEAR(a b, 5). '
        "Per policy: the versions that contain it, when it first appeared (with the last capture "
        "without it before) and when it was last seen (with the first capture without it after).",
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--policy", metavar="URL", help="only this policy")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)


def cmd_blame(args: argparse.Namespace) -> int:
    from ..analysis.blame import blame

    url, at, stamp = args.target.rpartition("@")
    if not (at and url and _TIMESTAMP.fullmatch(stamp.strip())):
        url, stamp = args.target, ""
    with open_archive(args) as archive:
        if stamp:
            target = archive.version_at(url, stamp.strip())
        else:
            policy = archive.get_policy(url)
            versions = archive.versions(policy.id)
            if not versions:
                raise NotFoundError(f"{policy.url} has no version with text yet")
            target = versions[-1]
        result = blame(archive, target)
        policy_url = archive.policy_by_id(target.policy_id).url
    stamps = [v.timestamp for v in result.versions]
    if args.json:
        print_json(
            {
                "url": policy_url,
                "version": target.timestamp,
                "versions": stamps,
                "paragraphs": [
                    {
                        "block": p.block,
                        "line": p.line + 1,
                        "text": p.text,
                        "introduced": stamps[p.introduced],
                        "last_changed": stamps[p.last_changed],
                        "history": [{"version": stamps[s.version], "text": s.text} for s in p.history],
                    }
                    for p in result.paragraphs
                ],
            }
        )
        return 0
    print(
        f"{len(result.paragraphs)} paragraphs of the version of {display(target.timestamp)}, "
        f"followed through {len(stamps)} version(s)",
        file=sys.stderr,
    )
    for p in result.paragraphs:
        first_line = p.text.splitlines()[0] if p.text else ""
        print(f"{stamps[p.introduced][:8]} {stamps[p.last_changed][:8]}  {_short(first_line, 100)}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from ..index import fts
    from ..index.search import search, snippet, update_index

    with open_archive(args) as archive:
        policy = archive.get_policy(args.policy) if args.policy else None
        for done, total in update_index(archive):
            if done == total or done == fts.BATCH_TEXTS:  # once at the start, once at the end
                print(f"indexed {done} of {total} texts stored before the search index", file=sys.stderr)
        matches = search(archive, args.query, policy)
    if args.json:
        print_json(
            [
                {
                    "url": m.url,
                    "label": m.label or None,
                    "first_appeared": m.first_appeared,
                    "absent_before": m.absent_before,
                    "last_seen": m.last_seen,
                    "absent_after": m.absent_after,
                    "still_present": m.absent_after is None,
                    "total_versions": m.total_versions,
                    "paragraph": m.paragraph,
                    "versions": [
                        {
                            "timestamp": v.timestamp,
                            "last_timestamp": v.last_timestamp,
                            "text_sha256": v.text_sha256,
                            "block": v.block,
                            "paragraph": v.paragraph,
                        }
                        for v in m.versions
                    ],
                }
                for m in matches
            ]
        )
        return 0
    if not matches:
        print(
            f"no version of {'this policy' if policy else 'any policy'} matches {args.query!r}",
            file=sys.stderr,
        )
        return 0
    for m in matches:
        before = f" (not in {display(m.absent_before)})" if m.absent_before else " (in the first capture)"
        after = f" (gone in {display(m.absent_after)})" if m.absent_after else " (still there)"
        print(m.url + (f"  ({m.label})" if m.label else ""))
        print(f"  first appeared {display(m.first_appeared)}{before}")
        print(f"  last seen      {display(m.last_seen)}{after}")
        print(
            f"  in {len(m.versions)} of {m.total_versions} versions: "
            + ", ".join(v.timestamp[:8] for v in m.versions)
        )
        print(f"  {snippet(m.paragraph, args.query, _SHOWN_CHARS)}")
    return 0


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""``policydiff rules URL``: list, add or clear a policy's extraction rules (then re-extract it)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import UsageError
from . import open_archive, print_json


def register(sub: Any) -> None:
    p = sub.add_parser(
        "rules",
        help="list, add or clear a policy's extraction rules (CSS selectors)",
        description="Without options, list the policy's rules. --select and --remove add a rule: the "
        "policy's text is what the --select selectors match, after removing what the --remove selectors "
        "match (either may be given alone, and each more than once). A rule is in force for captures from "
        "--from on (default: all); it replaces a rule from the same date. --clear removes every rule, or "
        "with --from the one from that date. Changing rules re-extracts the policy's captures and lists "
        "those whose text changed.",
    )
    p.add_argument("url")
    p.add_argument(
        "--select", action="append", default=[], metavar="CSS", help="the policy is what this matches"
    )
    p.add_argument(
        "--remove", action="append", default=[], metavar="CSS", help="remove what this matches first"
    )
    p.add_argument(
        "--from", dest="valid_from", metavar="DATE", help="in force from this capture date (4-14 digits)"
    )
    p.add_argument("--clear", action="store_true", help="remove the rules (with --from: only that date's)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rules)


def _rule_json(rule: Any) -> dict[str, Any]:
    return {"valid_from": rule.valid_from or None, "select": list(rule.select), "remove": list(rule.remove)}


def _describe(rule: Any) -> str:
    from ..timestamps import display

    since = f"from {display(rule.valid_from)}" if rule.valid_from else "always"
    parts = [f"select {', '.join(rule.select)}" if rule.select else "automatic text"]
    if rule.remove:
        parts.append(f"remove {', '.join(rule.remove)}")
    return f"{since:<22} {'; '.join(parts)}"


def cmd_rules(args: argparse.Namespace) -> int:
    from ..models import Flag
    from ..pipeline import ReextractChange
    from ..rules import change_rules, make_rule, with_rule, without_rules
    from ..timestamps import display, parse_date_arg

    adding = bool(args.select or args.remove)
    if args.clear and adding:
        raise UsageError("--clear removes rules; give it without --select or --remove")
    if args.valid_from and not (adding or args.clear):
        raise UsageError("--from needs --select, --remove or --clear")
    valid_from = parse_date_arg(args.valid_from) if args.valid_from else ""
    new_rule = make_rule(args.select, args.remove, valid_from) if adding else None
    with open_archive(args) as archive:
        policy = archive.get_policy(args.url)
        if not adding and not args.clear:
            if args.json:
                print_json([_rule_json(r) for r in policy.rules])
            elif not policy.rules:
                print(f"no rules for {policy.url}: its text is found automatically", file=sys.stderr)
            for rule in policy.rules if not args.json else ():
                print(_describe(rule))
            return 0
        if new_rule is not None:
            rules = with_rule(policy.rules, new_rule)
        else:
            if args.valid_from and not any(r.valid_from == valid_from for r in policy.rules):
                raise UsageError(
                    f"{policy.url} has no rule from {display(valid_from)}; see 'policydiff rules URL'"
                )
            rules = without_rules(policy.rules, valid_from if args.valid_from else None)
        versions_before = len(archive.versions(policy.id))
        changed: list[ReextractChange] = []
        for item in change_rules(archive, policy, rules):
            if isinstance(item, ReextractChange):
                changed.append(item)
        versions_after = len(archive.versions(policy.id))
        unmatched = [
            c.timestamp
            for c in archive.captures(policy.id)
            if (e := archive.extraction(c.id)) is not None and Flag.RULE_UNMATCHED.value in e.flags
        ]
    failed = [c for c in changed if c.error]
    if args.json:
        print_json(
            {
                "url": policy.url,
                "rules": [_rule_json(r) for r in rules],
                "changed": [c.capture.timestamp for c in changed if not c.error],
                "failed": [{"timestamp": c.capture.timestamp, "error": c.error} for c in failed],
                "versions_before": versions_before,
                "versions_after": versions_after,
                "rule_matches_nothing": unmatched,
            }
        )
    else:
        for rule in rules:
            print(f"rule     {_describe(rule)}")
        for c in changed:
            if c.error:
                print(f"failed   {display(c.capture.timestamp)}: {c.error}")
            else:
                print(f"changed  {display(c.capture.timestamp)}")
        if unmatched:
            print(
                f"warning: the rule in force selects nothing on {len(unmatched)} capture(s) (from "
                f"{display(unmatched[0])}): their text is found automatically and flagged rule-unmatched",
                file=sys.stderr,
            )
        print(
            f"{len(changed) - len(failed)} capture(s) have a new text, {len(failed)} could not be extracted "
            f"again; {versions_before} version(s) before, {versions_after} now",
            file=sys.stderr,
        )
    return 1 if failed else 0

"""Change history commands: `fetch` as change-point discovery (its progress and summary), and
`bisect URL@A URL@B`, which narrows one window by downloading only inside it."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..client.endpoints import DEFAULT_PREFIX, ArchiveEndpoint, ArchiveKind, archive_endpoint
from ..errors import UsageError
from ..models import Progress
from ..timestamps import display
from . import open_archive, open_session, print_json

if TYPE_CHECKING:
    from ..client.jobs import FetchSummary
    from ..client.session import Session
    from ..history.discovery import ChangeJob, HistorySummary
    from ..storage import Archive

#: What `fetch --help` and `bisect --help` say about the method and its one limit.
METHOD = (
    "By default fetch finds every change of the policy's text with as few downloads as it can: it "
    "lists every capture (cheap), downloads the first, the last and one per --sample span, and "
    "bisects every span whose two ends have different text until each change lies between two "
    "captures adjacent in the listing (captures with the same digest are not downloaded again; "
    "error pages, redirects and other captures without policy text are stepped over). An "
    "interrupted fetch resumes; a later one only searches what is new. LIMIT: a change that is "
    "reverted inside a span whose two ends have the same text is not found; a denser --sample, or "
    "--every-capture, finds it."
)
_SPAN = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_span(text: str) -> timedelta:
    """'30d', '12h', '2w', '90m' -> a timedelta (argparse type: a bad span is a usage error)."""
    m = _SPAN.fullmatch(text.strip().lower())
    if not m or int(m.group(1)) == 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a span of time: write a number and a unit, e.g. 30d, 12h, 2w or 90m"
        )
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def add_fetch_options(p: argparse.ArgumentParser) -> None:
    from ..history.discovery import DEFAULT_SAMPLE

    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--sample",
        metavar="SPAN",
        type=parse_span,
        default=DEFAULT_SAMPLE,
        help=f"download one capture per SPAN before bisecting (m, h, d, w; default {DEFAULT_SAMPLE.days}d); "
        "denser finds changes that revert sooner",
    )
    mode.add_argument(
        "--every-capture",
        action="store_true",
        help="download every capture instead (slow: about one a second at the Internet Archive)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "bisect",
        help="narrow the window of one change: download only the captures between URL@A and URL@B",
        description="Find where the text changed between two captures (URL@TIMESTAMP, 4 to 14 digits) "
        "by downloading only captures listed between them, until the change lies between two adjacent "
        "captures. The archive is the one the capture at A came from, unless --archive-url names one. "
        + METHOD,
    )
    p.add_argument("a", metavar="URL@A", help="the capture before the change (its time, 4 to 14 digits)")
    p.add_argument("b", metavar="URL@B", help="the capture after the change")
    p.add_argument("--archive-url", metavar="PREFIX", help="the archive's replay prefix")
    p.add_argument(
        "--archive-kind",
        choices=[k.value for k in ArchiveKind],
        default="auto",
        help="how to list captures: ia (CDX server), pywb (its CDX), timemap (Memento); default auto",
    )
    p.add_argument(
        "--json", action="store_true", help="print JSON on stdout (progress: JSON lines on stderr)"
    )
    p.set_defaults(func=cmd_bisect)


def fetch_changes(
    args: argparse.Namespace, session: Session, arc: Archive, endpoint: ArchiveEndpoint
) -> HistorySummary:
    """`fetch` without --every-capture."""
    from ..client.jobs import FetchJob
    from ..history.discovery import ChangeJob

    fetch = FetchJob(arc, session, endpoint, args.url, args.from_date, args.to_date, exact=args.exact_url)
    job = ChangeJob(fetch, sample=args.sample)
    return run_with_progress(job, args.json)


def cmd_bisect(args: argparse.Namespace) -> int:
    from ..client.jobs import FetchJob
    from ..history.discovery import ChangeJob

    (url_a, ts_a), (url_b, ts_b) = _spec(args.a), _spec(args.b)
    with open_archive(args) as arc:
        policy = arc.get_policy(url_a)
        if arc.get_policy(url_b).id != policy.id:
            raise UsageError(f"{args.a} and {args.b} are captures of two different policies")
        if ts_a > ts_b:
            ts_a, ts_b = ts_b, ts_a
        prefix = args.archive_url or next(
            (c.archive for c in arc.captures(policy.id) if c.timestamp.startswith(ts_a) and c.archive),
            DEFAULT_PREFIX,
        )
        endpoint = archive_endpoint(prefix, args.archive_kind)
        with open_session(args) as session:
            fetch = FetchJob(arc, session, endpoint, url_a, ts_a, ts_b)
            summary = run_with_progress(ChangeJob(fetch, sample=None), args.json)
    return report(summary, args, f"bisect {args.a} {args.b}")


def _spec(spec: str) -> tuple[str, str]:
    url, at, ts = spec.rpartition("@")
    if not at or not url or not re.fullmatch(r"\d{4,14}", ts.strip()):
        raise UsageError(
            f"{spec!r}: write URL@TIMESTAMP (4 to 14 digits, UTC), e.g. https://example.com/privacy@2023"
        )
    return url, ts.strip()


def run_with_progress(job: ChangeJob, as_json: bool) -> HistorySummary:
    """Run the search, showing progress on stderr: a bar on a terminal, JSON lines with --json,
    else one line per step."""
    tty = sys.stderr.isatty() and not as_json
    for progress in job.run():
        status = job.status
        if as_json:
            line: dict[str, Any] = {"message": progress.message}
            if status is not None:
                line.update(
                    listed=status.listed,
                    downloaded=status.downloaded,
                    reused=status.reused,
                    changes=status.changes,
                    narrowing=status.narrowing,
                    seconds_left=round(status.seconds_left),
                )
            sys.stderr.write(json.dumps(line) + "\n")
        elif tty:
            sys.stderr.write("\r\033[K" + _bar(progress) + " " + progress.message[:150])
        else:
            sys.stderr.write(progress.message + "\n")
        sys.stderr.flush()
    if tty:
        sys.stderr.write("\n")
    assert job.summary is not None
    return job.summary


def _bar(progress: Progress, width: int = 20) -> str:
    if not progress.total:
        return "[" + " " * width + "]"
    filled = round(width * min(progress.done, progress.total) / progress.total)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def summary_json(summary: FetchSummary | HistorySummary) -> dict[str, Any]:
    """What `fetch --json` prints, with or without --every-capture (which finds no changes itself)."""
    from ..history.discovery import HistorySummary

    failures = [
        {"timestamp": f.timestamp, "original": f.original, "reason": f.reason} for f in summary.failed
    ]
    found = (
        {"changes": summary.changes, "open_windows": summary.open_windows}
        if isinstance(summary, HistorySummary)
        else {}
    )
    return {
        "listed": summary.listed,
        "downloaded": summary.downloaded,
        "reused": summary.reused,
        "skipped": summary.skipped,
        **found,
        "failed": len(failures),
        "failures": failures,
        "suggestions": list(summary.suggestions),
        "left_out": summary.left_out,
    }


def report(summary: HistorySummary, args: argparse.Namespace, what: str) -> int:
    """Print the summary (JSON with --json); the exit code: 1 when some capture failed. The caller
    says what else to (variants left out, nearby URLs)."""
    failures = summary.failed
    if args.json:
        print_json(summary_json(summary))
        return 1 if failures else 0
    known = f", {summary.skipped} known from earlier runs" if summary.skipped else ""
    print(
        f"{summary.listed} listed, {summary.downloaded} downloaded, {summary.reused} reused (same digest)"
        f"{known}: {summary.changes} change{'' if summary.changes == 1 else 's'}"
        + (
            f", {summary.open_windows} window{'' if summary.open_windows == 1 else 's'} still open "
            f"(run '{what}' again to narrow {'it' if summary.open_windows == 1 else 'them'})"
            if summary.open_windows
            else ", each between two adjacent captures"
        )
    )
    for f in summary.failed:
        print(f"failed {display(f.timestamp)} {f.original}: {f.reason}", file=sys.stderr)
    return 1 if failures else 0

"""Exports and evidence: ``export`` (WARC, WACZ, CSV, JSON Lines, Open Terms Archive, Princeton-Leuven),
``report`` (HTML or PDF evidence report of a comparison) and ``verify-export``.

Every export gets a sha256 manifest; none overwrites a file without --force. With --tsa URL (or
$POLICYDIFF_TSA_URL) the manifest is time-stamped by that RFC 3161 time-stamping authority.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from . import PdfWriter, open_archive, print_json
from .args import count_arg, file_arg, split_versioned, url_arg, versioned_arg

if TYPE_CHECKING:
    from ..exports.manifest import TimestampCheck


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export one policy (or --all) as WARC, WACZ, CSV, JSON Lines, Open Terms Archive or Princeton-Leuven files",
        description="Export archived captures and versions. Each file or folder gets a sha256 manifest "
        "(check it with 'policydiff verify-export'). Several formats may be given at once.",
    )
    p.add_argument("url", nargs="?", type=url_arg, help="the policy to export (omit with --all)")
    p.add_argument("--all", action="store_true", help="export every policy in the archive")
    p.add_argument(
        "--warc", metavar="FILE", type=file_arg, help="WARC 1.1 (gzipped) of every capture's raw bytes"
    )
    p.add_argument(
        "--wacz",
        metavar="FILE",
        type=file_arg,
        help="WACZ: the same WARC with its index and page list, for ReplayWeb.page and pywb",
    )
    p.add_argument("--csv", metavar="FILE", type=file_arg, help="one row per version, with change statistics")
    p.add_argument("--jsonl", metavar="FILE", type=file_arg, help="the CSV's rows as JSON Lines")
    p.add_argument(
        "--ota", metavar="DIR", type=file_arg, help="Open Terms Archive layout: Service/Privacy Policy/TS.md"
    )
    p.add_argument(
        "--pllc", metavar="DIR", type=file_arg, help="Princeton-Leuven Markdown, one file per version"
    )
    _common(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "report",
        help="evidence report comparing two archived versions (HTML or PDF)",
        description="A self-contained evidence report: side-by-side diff, statistics, both versions' "
        "provenance and sha256, the change window. Sides are URL@TIMESTAMP (4 to 14 digits).",
    )
    p.add_argument("a", metavar="URL@TS1", type=versioned_arg, help="the older version")
    p.add_argument("b", metavar="URL@TS2", type=versioned_arg, help="the newer version")
    p.add_argument("--html", metavar="FILE", type=file_arg, help="write one self-contained HTML file")
    p.add_argument(
        "--pdf", metavar="FILE", type=file_arg, help="write a PDF (needs the installed policydiff)"
    )
    p.add_argument(
        "--context", type=count_arg, metavar="N", help="show only N unchanged blocks around changes"
    )
    _common(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "verify-export",
        help="check an export against its sha256 manifest (no archive needed)",
        description="Re-hash every file an export's manifest lists and report missing, changed or added "
        "files; checks the RFC 3161 time-stamp token beside the manifest when there is one.",
    )
    p.add_argument("path", type=file_arg, help="the export folder or file, or its manifest")
    p.add_argument(
        "--tsa-ca",
        metavar="FILE",
        type=file_arg,
        default=os.environ.get("POLICYDIFF_TSA_CA") or None,
        help="PEM root certificate(s) you trust for the time-stamp (default: $POLICYDIFF_TSA_CA, "
        "else the system's store); the chain saved in the export is never trusted by itself",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify_export)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument(
        "--tsa",
        metavar="URL",
        default=os.environ.get("POLICYDIFF_TSA_URL") or None,
        help="RFC 3161 time-stamping authority for the manifest (default: $POLICYDIFF_TSA_URL; none)",
    )
    p.add_argument("--json", action="store_true", help="print what was written as JSON")


def cmd_export(args: argparse.Namespace) -> int:
    from ..exports import datasets, wacz, warc

    targets = [(name, getattr(args, name)) for name in ("warc", "wacz", "csv", "jsonl", "ota", "pllc")]
    targets = [(name, path) for name, path in targets if path is not None]
    if not targets:
        raise UsageError("choose at least one of --warc, --wacz, --csv, --jsonl, --ota, --pllc")
    if bool(args.url) == bool(args.all):
        raise UsageError("give one policy URL or --all")
    writers = {
        "warc": warc.export_warc,
        "wacz": wacz.export_wacz,
        "csv": datasets.export_csv,
        "jsonl": datasets.export_jsonl,
        "ota": datasets.export_ota,
        "pllc": datasets.export_pllc,
    }
    summary = []
    warned = False
    with open_archive(args) as archive:
        policies = archive.policies() if args.all else [archive.get_policy(args.url)]
        if not policies:
            raise UsageError("the archive has no policies to export")
        for name, path in targets:
            result = writers[name](archive, policies, path.expanduser(), force=args.force, tsa_url=args.tsa)
            summary.append(_result_json(name, result))
            if not args.json:
                where = result.manifest.parent if name in ("ota", "pllc") else result.files[0]
                print(f"wrote {name:5} {where} ({result.items} items; manifest {result.manifest})")
            for line in result.skipped:
                print(f"skipped  {line}", file=sys.stderr)
            for line in result.warnings:
                warned = True
                print(f"warning  {line}", file=sys.stderr)
            for line in result.notes:
                print(f"note     {line}", file=sys.stderr)
    if args.json:
        print_json(summary)
    return 1 if warned else 0


def _result_json(kind: str, result: Any) -> dict[str, Any]:
    return {
        "format": kind,
        "files": [str(f) for f in result.files],
        "manifest": str(result.manifest),
        "token": str(result.token) if result.token else None,
        "items": result.items,
        "skipped": list(result.skipped),
        "warnings": list(result.warnings),
        "notes": list(result.notes),
    }


def parse_side(spec: str) -> tuple[str, str]:
    side = split_versioned(spec)
    if side is None:
        raise UsageError(f"{spec!r}: expected URL@TIMESTAMP, e.g. https://example.com/privacy@2024")
    return side


def cmd_report(args: argparse.Namespace) -> int:
    from ..exports.report import build_report_html, write_pdf_report, write_report

    if (args.html is None) == (args.pdf is None):
        raise UsageError("choose one of --html FILE or --pdf FILE")
    pdf_writer: PdfWriter | None = getattr(args, "pdf_writer", None)
    if args.pdf is not None and pdf_writer is None:
        raise UsageError(
            "PDF reports need Qt: run the installed 'policydiff' command (not 'python -m archiver'), "
            "or write --html"
        )
    (url_a, ts_a), (url_b, ts_b) = parse_side(args.a), parse_side(args.b)
    with open_archive(args) as archive:
        va = archive.version_at(url_a, ts_a)
        vb = archive.version_at(url_b, ts_b)
        if vb.timestamp < va.timestamp:
            va, vb = vb, va
        html_text = build_report_html(archive, va, vb, context=args.context)
    if args.html is not None:
        result = write_report(html_text, args.html.expanduser(), force=args.force, tsa_url=args.tsa)
    else:
        assert pdf_writer is not None
        result = write_pdf_report(html_text, args.pdf, pdf_writer, force=args.force, tsa_url=args.tsa)
    out = result.files[0]
    for line in result.warnings:
        print(f"warning  {line}", file=sys.stderr)
    for line in result.notes:
        print(f"note     {line}", file=sys.stderr)
    if args.json:
        print_json({"file": str(out), "older": va.timestamp, "newer": vb.timestamp})
    else:
        print(f"wrote {out} ({va.timestamp} -> {vb.timestamp}; manifest {result.manifest})")
    return 1 if result.warnings else 0


def cmd_verify_export(args: argparse.Namespace) -> int:
    """The time-stamp's verdict is one of the words *trusted*, *valid but untrusted* or *invalid*
    (scripts rely on them); exit 1 when the files or the time-stamp are invalid."""
    from ..exports.manifest import verify_export
    from ..exports.tsa_trust import load_trust

    trust = load_trust(args.tsa_ca)
    report = verify_export(args.path.expanduser(), trust)
    ts = report.timestamp
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "manifest": str(report.manifest),
                "files": report.checked,
                "created": report.created,
                "tool": report.tool,
                "problems": list(report.problems),
                "timestamp": None
                if ts is None
                else {
                    "token": str(ts.token),
                    "verdict": ts.verdict,
                    "gen_time": ts.gen_time,
                    "tsa": ts.tsa,
                    "root": ts.root,
                    "problems": list(ts.problems),
                    "notes": list(ts.notes),
                },
            }
        )
    else:
        for problem in report.problems:
            print(f"BAD {problem}")
        if ts is not None:
            print(_verdict_line(ts))
            for note in ts.notes:
                print(f"note: {note}")
        verdict = "OK" if report.ok else "FAILED"
        print(f"{verdict}: {report.checked} file(s) checked against {report.manifest}", file=sys.stderr)
    return 0 if report.ok else 1


def _verdict_line(ts: TimestampCheck) -> str:
    if ts.verdict == "trusted":
        return f"time-stamp: trusted: manifest existed at {ts.gen_time} (TSA '{ts.tsa}', chain verified to root {ts.root})"
    if ts.verdict == "valid but untrusted":
        return (
            f"time-stamp: valid but untrusted: signed by '{ts.tsa}' at {ts.gen_time}, but {ts.problems[0]}; "
            f"it needs {ts.root} as a root: pass that certificate with --tsa-ca FILE if you trust it"
        )
    return f"time-stamp: invalid ({ts.token.name}): " + "; ".join(ts.problems)

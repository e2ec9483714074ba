"""``policydiff diff A B``: compare two policy texts, like ``diff`` but by blocks and words.

A and B are files (Markdown/text read as is; HTML and PDF extracted first) or ``URL@TIMESTAMP``, the
archived version in force at that time. Exit 0 when the texts are the same (under the ignore
options), 1 when they differ, 2 on errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ArchiverError, InputFileError
from .args import count_arg, split_versioned
from .topics_opts import add_topics_option, load_topics, topics_json

if TYPE_CHECKING:
    from ..analysis.topics import Watchlist
    from ..diffing import DiffResult

TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".text")
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two policy texts by blocks and words (exit 0 same, 1 different, 2 error)",
        description="Compare two versions of a policy. Each side is a file (Markdown or text as is; HTML "
        "and PDF are extracted first) or URL@TIMESTAMP, the archived version in force at that time "
        "(4 to 14 digits). Exit status: 0 same, 1 different, 2 error.",
    )
    p.add_argument("a", metavar="A", help="file or URL@TIMESTAMP (the old side)")
    p.add_argument("b", metavar="B", help="file or URL@TIMESTAMP (the new side)")
    p.add_argument("--format", choices=("text", "json", "html"), default="text")
    p.add_argument("--ignore-case", action="store_true", help="letter case does not count")
    p.add_argument("--ignore-punctuation", action="store_true", help="only letters, digits and spaces count")
    p.add_argument("--ignore-whitespace", action="store_true", help="amounts of whitespace do not count")
    p.add_argument(
        "--context",
        type=count_arg,
        metavar="N",
        help="changes-only view with N unchanged blocks around each change (text default 3; html: all)",
    )
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text format (auto: when writing to a terminal and NO_COLOR is unset)",
    )
    add_topics_option(p)
    p.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from ..diffing import DiffOptions, diff_texts
    from ..diffing.render import render_html, render_text

    try:
        left = load_side(args.a, args)
        right = load_side(args.b, args)
        watchlist = load_topics(args) if args.format == "json" else None
    except ArchiverError as exc:
        print(f"policydiff: {exc}", file=sys.stderr)
        return 2
    options = DiffOptions(
        ignore_whitespace=args.ignore_whitespace,
        ignore_case=args.ignore_case,
        ignore_punctuation=args.ignore_punctuation,
    )
    result = diff_texts(left, right, options)
    if watchlist is not None:
        sys.stdout.write(_json_with_topics(result, watchlist))
    elif args.format == "html":
        sys.stdout.write(render_html(result, args.a, args.b, args.context))
    else:
        color = args.color == "always" or (
            args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        )
        sys.stdout.write(render_text(result, 3 if args.context is None else args.context, color))
    sys.stdout.flush()
    return 0 if result.same else 1


def _json_with_topics(result: DiffResult, watchlist: Watchlist) -> str:
    """The diff's JSON with each changed row's ``topics`` (name and matched words) and ``priority``."""
    from ..analysis.topics import tag_diff
    from ..diffing.render import to_json
    from ..extraction.quality import guess_language

    data = to_json(result)
    language = guess_language(result.right_text or result.left_text)
    for row, matches in zip(data["rows"], tag_diff(result, watchlist, language), strict=True):
        row.update(topics_json(matches))
    data["topics_language"] = language
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def load_side(spec: str, args: argparse.Namespace) -> str:
    """The policy text a command-line side names: a file, else ``URL@TIMESTAMP``."""
    path = Path(spec).expanduser()
    if path.is_file():
        return read_file_text(path)
    versioned = split_versioned(spec)  # a bad date or URL says so before the archive is opened
    if versioned is not None:
        return archived_text(*versioned, args)
    if path.exists():
        raise InputFileError(spec, "not a regular file")
    raise InputFileError(spec, "no such file (for an archived version write URL@TIMESTAMP, e.g. URL@2024)")


def read_file_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(str(path), exc.strerror or str(exc)) from None
    suffix = path.suffix.lower()
    head = data[:1024].lstrip().lower()
    if suffix == ".pdf" or data.startswith(b"%PDF-"):
        return _extract(path, data, "application/pdf")
    if suffix in HTML_SUFFIXES or (
        suffix not in TEXT_SUFFIXES and head.startswith((b"<!doctype html", b"<html"))
    ):
        return _extract(path, data, "text/html")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            str(path), f"not UTF-8 text (byte {exc.start}); convert it or pass HTML"
        ) from None


def _extract(path: Path, data: bytes, content_type: str) -> str:
    try:
        from ..extraction import extract  # lazy: HTML/PDF parsing is heavy and not needed for text
    except ImportError as exc:
        raise InputFileError(str(path), f"cannot extract {content_type} here ({exc})") from None
    return str(extract(data, content_type, path.resolve().as_uri()).text)


def archived_text(url: str, timestamp: str, args: argparse.Namespace) -> str:
    from . import open_archive

    with open_archive(args) as archive:
        version = archive.version_at(url, timestamp)
        return str(archive.text(version.text_sha256))

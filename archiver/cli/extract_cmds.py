"""``policydiff extract FILE``: print the policy text extracted from a saved page, PDF or text file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import InputFileError
from .args import path_arg

_SUFFIX_TYPES = {
    ".pdf": "application/pdf",
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".text": "text/plain",
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "extract",
        help="print the policy text extracted from an HTML, PDF or text file",
        description="Extract the policy text of a saved capture (HTML, XHTML, PDF, Markdown or plain text; "
        "'-' reads standard input) and print it. json adds the title, language, charset and the rule that "
        "decided it, quality flags, the date the policy states and the extractor version.",
    )
    p.add_argument("file", metavar="FILE", type=path_arg, help="the file to extract ('-' for standard input)")
    p.add_argument("--url", default="", help="the page's original URL (recorded in json output)")
    p.add_argument(
        "--content-type",
        default="",
        metavar="TYPE",
        help="the archived Content-Type, e.g. 'text/html; charset=gbk' (default: from the file name, else sniffed)",
    )
    p.add_argument("--format", choices=("markdown", "text", "json"), default="markdown")
    p.set_defaults(func=cmd_extract)


def cmd_extract(args: argparse.Namespace) -> int:
    from ..extraction import extract
    from ..extraction.markdown import markdown_to_plain

    path = Path(args.file)
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else path.read_bytes()
    except OSError as exc:
        raise InputFileError(args.file, exc.strerror or str(exc)) from None
    content_type = args.content_type or _SUFFIX_TYPES.get(path.suffix.lower(), "")
    result = extract(data, content_type, args.url)
    if args.format == "json":
        from ..extraction.dates import parse_stored
        from . import print_json

        stated = (
            parse_stored(result.text, result.language, result.stated_date) if result.stated_date else None
        )

        print_json(
            {
                "file": args.file,
                "url": args.url,
                "title": result.title,
                "language": result.language,
                "charset": result.charset,
                "charset_rule": result.charset_rule,
                "charset_confidence": result.charset_confidence,
                "flags": list(result.flags),
                "stated_date": result.stated_date,
                # every date line found, with both readings of an ambiguous numeric date
                "stated_dates": stated.as_json() if stated is not None else None,
                "extractor_version": result.extractor_version,
                "words": result.words,
                "text_sha256": result.text_sha256,
                "text": result.text,
            }
        )
    elif args.format == "text":
        sys.stdout.write(markdown_to_plain(result.text))
    else:
        sys.stdout.write(result.text)
    return 0

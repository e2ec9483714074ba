"""The `policydiff` command line: `policydiff [--archive DIR] COMMAND ...`.

Each concern registers its commands from its own module (see ``COMMAND_MODULES``); a command is a
function ``(args) -> exit code``. Exit codes: 0 success, 1 the command ran and found failures (or,
for `diff`, the texts differ), 2 bad usage. Errors print one line on stderr, never a traceback.

The GUI lives in ``ui`` and the core never imports it: the installed entry point
(``ui.launch:main``) passes a ``gui`` callable in, which runs when no command is given, and a
``pdf_writer`` (Qt's PDF writer) for reports.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .. import __version__
from ..errors import ArchiverError

if TYPE_CHECKING:
    from ..client.session import Session

#: Modules under archiver.cli that each define ``register(subparsers)``.
COMMAND_MODULES = (
    "archive_cmds",
    "net_cmds",
    "changes_cmds",
    "extract_cmds",
    "rules_cmds",
    "diff_cmds",
    "export_cmds",
    "history_cmds",
    "portfolio_cmds",
)

#: Starts the desktop app on the archive the options name (None: the one last opened, else the default).
GuiLauncher = Callable[[Path | None], int]
#: Renders a self-contained HTML document to a PDF file; supplied by ``ui`` (Qt's PDF writer).
PdfWriter = Callable[[str, Path], None]


def default_archive_root() -> Path:
    """--archive DIR, else $POLICYDIFF_ARCHIVE, else the platform's user data directory."""
    env = os.environ.get("POLICYDIFF_ARCHIVE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("policydiff", appauthor=False)) / "archive"


def named_archive_root(args: argparse.Namespace) -> Path | None:
    """The archive --archive or $POLICYDIFF_ARCHIVE names, or None when neither does."""
    if args.archive:
        return Path(args.archive).expanduser()
    env = os.environ.get("POLICYDIFF_ARCHIVE")
    return Path(env).expanduser() if env else None


def archive_root(args: argparse.Namespace) -> Path:
    return named_archive_root(args) or default_archive_root()


def open_session(args: argparse.Namespace) -> Session:
    """A web-archive session that trusts --ca-bundle if given (checked before any request)."""
    from ..client.session import Session

    return Session(verify=str(Path(args.ca_bundle).expanduser()) if args.ca_bundle else True)


def trust_ca_bundle(args: argparse.Namespace) -> None:
    """--ca-bundle for every HTTPS request of this process, also those outside a session (an RFC
    3161 time-stamp authority, the app's jobs): requests reads REQUESTS_CA_BUNDLE."""
    if args.ca_bundle:
        from ..client.session import check_ca_bundle

        bundle = str(Path(args.ca_bundle).expanduser())
        check_ca_bundle(bundle)
        os.environ["REQUESTS_CA_BUNDLE"] = bundle


def open_archive(args: argparse.Namespace, *, verifying: bool = False):  # type: ignore[no-untyped-def]
    """Open (creating if needed) the archive the global options name. A write-protected archive
    opens read-only: commands that read (policies, versions, verify, diff, report and exports
    written elsewhere) work, and one that would write says the archive is read-only. ``verifying``:
    a database behind its journals opens read-only too, for verify to report it with the rest."""
    from ..errors import ArchiveNotWritableError, JournalAheadError
    from ..schema import DB_NAME
    from ..storage import Archive

    root = archive_root(args)
    try:
        return Archive.open(root)
    except JournalAheadError:
        if not verifying:
            raise
        return Archive.open_read_only(root)
    except ArchiveNotWritableError:
        if not (root.expanduser() / DB_NAME).is_file():
            raise
        logging.getLogger(__name__).info("%s is not writable: opened read-only", root)
        return Archive.open_read_only(root)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, like every other error (exit 2): the argument and what is wrong
    with it, and where the help is; argparse would print the whole usage first."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="policydiff",
        description="Find, archive and compare versions of privacy policies from web archives.",
        epilog="Without a command, the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"policydiff {__version__}")
    from .args import path_arg

    parser.add_argument(
        "--archive",
        type=path_arg,
        metavar="DIR",
        help="local archive folder (default: $POLICYDIFF_ARCHIVE, else the user data folder)",
    )
    parser.add_argument(
        "--ca-bundle",
        type=path_arg,
        metavar="FILE",
        help="certificates to trust for HTTPS, as a PEM file (a corporate proxy's CA; default: the "
        "system's, or $REQUESTS_CA_BUNDLE)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # a concern not built yet
            raise
        module.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, gui: GuiLauncher | None = None, pdf_writer: PdfWriter | None = None
) -> int:
    """Run one command. ``gui`` and ``pdf_writer`` come from ``ui`` so the core never imports Qt;
    commands find the PDF writer as ``args.pdf_writer`` (None when run as ``python -m archiver``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (exit 2), --help and --version: returned like any code
        return exc.code if isinstance(exc.code, int) else 2 if exc.code else 0
    args.pdf_writer = pdf_writer
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    previous_bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    try:
        trust_ca_bundle(args)
        if args.command is None:
            if gui is None:
                parser.print_help(sys.stderr)
                print(
                    "\npolicydiff: the desktop app is started by the installed 'policydiff' command",
                    file=sys.stderr,
                )
                return 2
            return gui(named_archive_root(args))
        code: int = args.func(args)
        return code
    except ArchiverError as exc:
        print(f"policydiff: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("policydiff: interrupted; everything stored so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:  # a longer-lived process (tests, scripts) gets the environment back as it was
        if args.ca_bundle:
            if previous_bundle is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = previous_bundle


def print_json(value: object) -> None:
    """Print JSON on stdout the same way for every command."""
    import json

    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")

"""The installed `policydiff` command: the command line, and the desktop app when no command is given.

Qt is imported only when the app starts, so command-line use stays fast and works headless.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from archiver.cli import main as cli_main


def no_display_reason(env: Mapping[str, str], platform: str) -> str:
    """Why the app cannot open a window here ("" when it can): on Linux and the BSDs Qt needs an X11
    or Wayland display (or QT_QPA_PLATFORM naming another platform), else it aborts the process."""
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return ""
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"):
        return ""
    return (
        "policydiff: no display here (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app cannot "
        "start. Give a command instead, e.g. 'policydiff policies' or 'policydiff --help' for the list; "
        "or run the app on a desktop session (over SSH: 'ssh -X')."
    )


def _start_gui(named_root: Path | None) -> int:
    reason = no_display_reason(os.environ, sys.platform)
    if reason:
        print(reason, file=sys.stderr)
        return 2
    from .app import run

    return run(named_root)


def _write_pdf(html: str, path: Path) -> None:
    from .pdf import write_pdf  # Qt loads only when a PDF is asked for

    write_pdf(html, path)


def main() -> int:
    return cli_main(gui=_start_gui, pdf_writer=_write_pdf)


if __name__ == "__main__":
    sys.exit(main())

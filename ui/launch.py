"""The installed `policydiff` command: the command line, and the desktop app when no command is given.

Qt is imported only when the app starts, so command-line use stays fast and works headless.
"""

from __future__ import annotations

import sys
from pathlib import Path

from archiver.cli import main as cli_main


def _start_gui(named_root: Path | None) -> int:
    from .app import run

    return run(named_root)


def _write_pdf(html: str, path: Path) -> None:
    from .pdf import write_pdf  # Qt loads only when a PDF is asked for

    write_pdf(html, path)


def main() -> int:
    return cli_main(gui=_start_gui, pdf_writer=_write_pdf)


if __name__ == "__main__":
    sys.exit(main())

"""Render the main window offscreen on the demo archive and save docs/screenshot.png.

Run from the repository root after a UI change:  .venv/bin/python scripts/screenshot.py
The demo archive is copied to a temporary folder first, so snapshots/demo stays untouched.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ui.app import make_application  # noqa: E402
from ui.mainwindow import MainWindow  # noqa: E402
from ui.settings import Settings  # noqa: E402

POLICY = "Tinder Privacy Policy"
SIZE = (1440, 900)


def wait(app: object, condition: object, timeout: float = 30.0, required: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            if not required:
                return
            raise SystemExit("timed out waiting for the window to fill")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def main(out: Path = REPO / "docs" / "screenshot.png") -> int:
    from archiver.storage import Archive

    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        shutil.copytree(REPO / "snapshots" / "demo", root)
        arc = Archive.open(root)
        window = MainWindow(arc, Settings(Path(tmp) / "settings.ini"))
        window.resize(*SIZE)
        window.show()
        model = window.policy_model
        wait(app, lambda: model.rowCount() > 0)
        row = next(i for i in range(model.rowCount()) if model.policy(i).label == POLICY)
        window.policy_view.setCurrentIndex(model.index(row))
        versions = window.version_model
        wait(
            app,
            lambda: (
                versions.rowCount() > 1
                and versions.version(0).policy_id == model.policy(row).id
                and all(versions.change(i) is not None for i in range(1, versions.rowCount()))
            ),
        )
        # a typical edit reads best: the smallest change of at least 100 words
        edits = [i for i in range(1, versions.rowCount()) if (versions.change(i) or 0) >= 100]
        target = min(edits, key=lambda i: versions.change(i) or 0) if edits else versions.rowCount() - 1
        window.version_view.selectRow(target)
        compare = window.compare
        wait(
            app,
            lambda: (
                compare.result is not None
                and compare.right_title.text() == window.right_combo.currentText()
                and compare.left_title.text() == window.left_combo.currentText()
            ),
        )
        # the changes' topics (tagged in a worker) underline their words; a pair without any stays off
        wait(app, lambda: compare.topics_action.isEnabled(), timeout=10.0, required=False)
        window.compare.next_change()
        for _ in range(20):
            app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
        arc.close()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

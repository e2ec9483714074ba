"""Fixtures the app's tests share."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.storage import DB_NAME, Archive

DEMO = Path(__file__).resolve().parents[2] / "snapshots" / "demo"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Archive]:
    """A copy of the bundled demo archive, open (the original is never written)."""
    if not (DEMO / DB_NAME).is_file():
        pytest.skip("snapshots/demo not built")
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    arc = Archive.open(root)
    yield arc
    arc.close()

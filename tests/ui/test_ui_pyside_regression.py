"""Guard against PySide6 6.12.0 on CPython 3.11: void Qt calls drop a reference to None until abort."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QWidget


def test_pyside_612_is_not_installed_on_python_311() -> None:
    if sys.version_info < (3, 12):
        assert not pyside_version.startswith("6.12."), f"PySide6 {pyside_version} aborts on CPython 3.11"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from CPython 3.12")
def test_void_qt_calls_keep_none_refcount(qtbot: Any) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    calls = 200_000
    before = sys.getrefcount(None)
    for _ in range(calls):
        widget.setEnabled(True)
    after = sys.getrefcount(None)
    assert before - after < calls // 2, f"None lost {before - after} references over {calls} void calls"

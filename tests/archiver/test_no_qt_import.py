"""The core must work where PySide6 is missing: every archiver module imports with Qt blocked."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import archiver

ROOT = Path(__file__).parents[2]


def _modules() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.walk_packages(archiver.__path__, "archiver.")
        if not m.name.endswith("__main__")
    )


def test_every_archiver_module_imports_without_pyside6() -> None:
    modules = _modules()
    assert "archiver.storage" in modules and "archiver.cli" in modules
    code = (
        "import sys, importlib\n"
        "for name in ('PySide6', 'shiboken6', 'ui'):\n"
        "    sys.modules[name] = None  # any import of them now raises ImportError\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "assert not any(k.startswith(('PySide6.', 'ui.')) for k in sys.modules), 'Qt leaked in'\n"
        "print('ok', len(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_cli_runs_without_pyside6(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None\n"
        "from archiver.cli import main\n"
        f"sys.exit(main(['--archive', {str(tmp_path)!r}, 'policies', '--json']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

"""The configured linters hold: ruff on the whole tree, mypy --strict on archiver/ and ui/ (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "tool",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy-strict-archiver-ui"],
)
def test_tool_passes(tool: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *tool], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(tool)} failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"


def test_constraints_pin_every_dependency_within_its_bounds() -> None:
    """constraints.txt (what scripts/run and scripts/test install) pins each dependency pyproject.toml
    names for this Python to a version its bounds allow; a dependency added without refreshing the
    file fails here ('bash scripts/update-constraints' rewrites it from the tested .venv)."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    problems = []
    for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate():
            continue
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name} is not in constraints.txt")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{req.name}=={pins[name]} is outside {req.specifier}")
        if not any(spec.operator in ("<", "<=", "==", "~=") for spec in req.specifier):
            problems.append(f"{req.name} has no upper bound in pyproject.toml")
    assert not problems, "; ".join(problems) + " (run 'bash scripts/update-constraints')"
    # the PySide6 trap: 6.12 aborts CPython 3.11 (tests/ui/test_ui_pyside_regression.py)
    if sys.version_info < (3, 12):
        assert not pins["pyside6-essentials"].startswith("6.12.")

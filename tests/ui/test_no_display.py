"""Issue 18, part 8: bare `policydiff` without a display says so (exit 2) instead of SIGABRT."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ui.launch import no_display_reason

ROOT = Path(__file__).resolve().parents[2]


def test_no_display_says_how_to_run_a_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ui.launch import main; sys.exit(main())",
            "--archive",
            str(tmp_path / "A"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if sys.platform.startswith("linux"):
        assert result.returncode == 2, result.stderr
        assert "no display" in result.stderr and "policydiff --help" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_display_or_a_named_platform_lets_the_app_start() -> None:
    assert no_display_reason({}, "linux")
    assert not no_display_reason({"DISPLAY": ":0"}, "linux")
    assert not no_display_reason({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not no_display_reason({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not no_display_reason({}, "darwin") and not no_display_reason({}, "win32")

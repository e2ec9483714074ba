"""The README's run command on a real X display: the installed `policydiff` opens the demo archive.

Everything else in tests/ui runs offscreen; this one starts Xvfb and the app with Qt's xcb plugin,
as a desktop user would, so missing system libraries (Qt >= 6.5 needs libxcb-cursor0 and friends)
or a start-up crash fail here and not on a newcomer's machine. scripts/test installs Xvfb.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "snapshots" / "demo"

# Runs in its own process on the X display: waits until a painted window covers most of the black
# root window, then prints the share of non-black pixels and how many colours the screen holds.
GRAB = r"""
import sys, time
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv)
deadline = time.monotonic() + float(sys.argv[2])
while True:
    image = app.primaryScreen().grabWindow(0).toImage()
    step = 4
    pixels = [image.pixel(x, y) & 0xFFFFFF for y in range(0, image.height(), step)
              for x in range(0, image.width(), step)]
    covered = sum(1 for p in pixels if p) / len(pixels)
    if (covered > 0.4 and len(set(pixels)) > 50) or time.monotonic() > deadline:
        break
    app.processEvents()
    time.sleep(0.2)
image.save(sys.argv[1])
print(f"{covered:.3f} {len(set(pixels))}")
"""


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed (scripts/test installs the Debian package xvfb)", pytrace=False)
    read_fd, write_fd = os.pipe()
    # -displayfd: Xvfb picks a free display number and writes it once it accepts clients
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-br", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    try:
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def test_policydiff_opens_the_demo_archive_on_an_x_display(display: str, tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("policydiff")
    assert command.exists(), "the policydiff command is not installed: pip install -e ."
    archive = tmp_path / "demo"
    shutil.copytree(DEMO, archive)
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # the app's settings, not the user's
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    app = subprocess.Popen(
        [str(command), "--archive", str(archive)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        shot = tmp_path / "screen.png"
        grab = subprocess.run(
            [sys.executable, "-c", GRAB, str(shot), "30"],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert grab.returncode == 0, grab.stderr
        running = app.poll() is None
    finally:
        app.terminate()
        out, err = app.communicate(timeout=20)
    assert running, f"policydiff exited with {app.returncode}:\n{err[-3000:]}"
    assert "Could not load the Qt platform plugin" not in err and "Traceback" not in err, err[-3000:]
    covered, colours = grab.stdout.split()
    # the main window covers most of the screen and shows text (antialiased glyphs: many colours)
    assert float(covered) > 0.4, f"no window on the display (screen saved at {shot})"
    assert int(colours) > 50, f"the window looks empty (screen saved at {shot})"

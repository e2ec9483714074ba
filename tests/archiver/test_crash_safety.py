"""kill -9 in the middle of an import leaves an archive that opens and verifies."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archiver.storage import Archive

ROOT = Path(__file__).parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"

WRITER = """
import sys
from archiver.pipeline import import_paths
from archiver.storage import Archive
arc = Archive.open(sys.argv[1])
for n, path in enumerate(sys.argv[2:]):
    for result in import_paths(arc, [path], url="https://example.com/privacy", date=f"2020{1 + n // 28:02d}{1 + n % 28:02d}000000"):
        assert not result.error, result.error
"""


def _many_files(folder: Path, count: int) -> list[str]:
    pages = sorted(CORPUS.glob("*/*.html"))
    paths = []
    for n in range(count):
        path = folder / f"page{n:03d}.html"
        # distinct bytes, so every import writes a new blob
        path.write_bytes(pages[n % len(pages)].read_bytes() + f"<!-- copy {n} -->".encode())
        paths.append(str(path))
    return paths


def _captures(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM captures").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("kill_after", [1, 4, 9])
def test_sigkill_during_import_leaves_a_consistent_archive(tmp_path: Path, kill_after: int) -> None:
    archive = tmp_path / "archive"
    files = _many_files(tmp_path, 60)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(archive), *files], cwd=ROOT, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while (
        _captures(archive / "archive.sqlite3") < kill_after
        and proc.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the writer finished before it could be killed"

    with Archive.open(archive) as arc:
        assert arc.verify() == []
        policy = arc.get_policy("https://example.com/privacy")
        captures = arc.captures(policy.id)
        assert kill_after <= len(captures) < len(files)
        for cap in captures:  # every visible record has its bytes, and they are whole
            assert arc.read_body(cap).endswith(b" -->")
        assert not list((archive / "tmp").iterdir()), "stray temp files were not cleaned up"
    # the import can simply be run again and completes the set
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(archive), *files], cwd=ROOT, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    with Archive.open(archive) as arc:
        assert len(arc.captures(arc.get_policy("https://example.com/privacy").id)) == len(files)
        assert arc.verify() == []

"""Exports of any size in bounded memory, and a ``kill -9`` mid-export that leaves nothing behind.

The peak memory of a 1 GB export is measured in ``benchmarks/export_bench.py``; here a small archive
shows the behaviour: the export holds about one capture in memory, not the file it writes, and a
real ``policydiff export`` killed with SIGKILL part-way leaves no file (nor manifest) at the target
and an archive that verifies unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from archiver.exports.datasets import export_ota
from archiver.exports.manifest import verify_export
from archiver.exports.output import ExportResult
from archiver.exports.wacz import export_wacz
from archiver.exports.warc import export_warc
from archiver.models import Capture, Extraction, Source
from archiver.storage import Archive, text_sha256

ROOT = Path(__file__).parents[2]
URL = "https://example.org/privacy"


def _page(rng: random.Random, n: int, size: int) -> bytes:
    """About ``size`` bytes of HTML in random letters (gzip saves a third at most; no two alike)."""
    letters = base64.b32encode(rng.randbytes(size * 5 // 8)).decode().lower()
    paragraphs = (letters[i : i + 600] for i in range(0, len(letters), 600))
    return (f"<html><body><h1>Policy {n}</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)).encode()


def _archive(root: Path, captures: int, size: int, with_text: bool = False) -> Archive:
    """An archive of ``captures`` captures of about ``size`` bytes each (no extraction: quick)."""
    rng = random.Random(16)
    archive = Archive.open(root)
    policy = archive.ensure_policy(URL)
    for n in range(captures):
        body = _page(rng, n, size)
        capture = Capture(
            id=0,
            policy_id=policy.id,
            source=Source.FILE,
            timestamp=f"2020{1 + n // 28 % 12:02d}{1 + n % 28:02d}{n // 336:02d}0000",
            original_url=URL,
            content_type="text/html",
        )
        text = f"Policy {n}\n\n{body[:200].decode()}\n"
        extraction = Extraction(text=text, text_sha256=text_sha256(text), extractor_version="t", words=40)
        archive.add_capture(policy, capture, body, extraction if with_text else None)
    return archive


@pytest.mark.parametrize("export", [export_warc, export_wacz], ids=["warc", "wacz"])
def test_an_export_holds_about_one_capture_in_memory_not_the_file(
    tmp_path: Path, export: Callable[..., ExportResult]
) -> None:
    """30 captures of 1 MB: the export's peak of Python memory stays well under the archive's size
    (building the file in memory, as before, needs at least the whole compressed output)."""
    captures, size = 30, 1_000_000
    with _archive(tmp_path / "archive", captures, size) as archive:
        policies = archive.policies()
        target = tmp_path / "out.bin"
        tracemalloc.start()
        try:
            result = export(archive, policies, target)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.items == captures
    written = target.stat().st_size
    assert written > 6 * size  # the output is several captures large…
    assert peak < 4 * size  # …while memory held about one capture's bytes and their copies
    assert verify_export(target).ok
    if export is export_wacz:
        with zipfile.ZipFile(target) as zf:
            package = json.loads(zf.read("datapackage.json"))
            warc = next(r for r in package["resources"] if r["path"] == "archive/data.warc.gz")
            assert warc["hash"] == "sha256:" + hashlib.sha256(zf.read(warc["path"])).hexdigest()
            assert warc["bytes"] == zf.getinfo(warc["path"]).file_size
            assert zf.getinfo(warc["path"]).compress_type == zipfile.ZIP_STORED


def _table(root: Path) -> tuple[int, str]:
    with Archive.open(root) as archive:
        return archive.ledger_head()


@pytest.mark.parametrize("fmt", ["warc", "wacz", "ota"])
def test_a_real_export_killed_with_sigkill_leaves_nothing_at_the_target(tmp_path: Path, fmt: str) -> None:
    """``policydiff export`` SIGKILLed once its temporary file (or folder) is growing: the target and
    its manifest do not exist, the archive verifies with the same ledger head, and the next export
    there removes the dead one's leftovers and succeeds."""
    root = tmp_path / "archive"
    # WARC/WACZ: 80 MB of bodies, a few seconds of gzip; OTA: 400 version files, each fsynced
    with _archive(root, *((80, 1_000_000, False) if fmt != "ota" else (400, 2_000, True))):
        pass
    before = _table(root)
    target = tmp_path / ("out" if fmt == "ota" else f"out.{fmt}")
    cmd = [
        sys.executable,
        "-m",
        "archiver",
        "--archive",
        str(root),
        "export",
        "--all",
        f"--{fmt}",
        str(target),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    leftover = tmp_path / f".{target.name}.{proc.pid}.tmp"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            grown = sum(1 for _ in leftover.rglob("*")) > 20 if fmt == "ota" else _size(leftover) > 2_000_000
            if grown:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"the export ended before it could be killed: {proc.communicate()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert leftover.exists()  # it was killed mid-way…
    assert not target.exists()  # …and nothing is at the target
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(target.name)]  # nor a manifest
    with Archive.open(root) as archive:
        assert archive.verify() == []
        assert archive.ledger_head() == before
        policies = archive.policies()
        result = {"warc": export_warc, "wacz": export_wacz, "ota": export_ota}[fmt](archive, policies, target)
    assert not leftover.exists()
    assert verify_export(target).ok and result.items == (400 if fmt == "ota" else 80)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0

"""A real pywb on 127.0.0.1 for integration tests, reusable by any test module.

pywb pins old libraries, so it lives in its own virtual environment at ``<repo>/.venv-pywb``
(created on first use from tests/pywb-requirements.txt). WARCs are written with warcio from
the app's environment; the collection is built with ``wb-manager`` and served by ``wayback``
with no live-web collection and ``framed_replay: false``.

Use ``start_pywb(workdir, warc_files)`` directly, or the session fixture ``pywb_corpus`` (the test
corpus in tests/data/corpus served as collection ``corpus``). Set POLICYDIFF_SKIP_PYWB=1 to skip;
otherwise a pywb that cannot be installed or started fails the tests, loudly.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYWB_VENV = REPO / ".venv-pywb"
REQUIREMENTS = REPO / "tests" / "pywb-requirements.txt"
CORPUS = REPO / "tests" / "data" / "corpus"


@dataclass(frozen=True)
class WarcCapture:
    """One archived response to write into a WARC."""

    url: str  # ASCII (IDNA host, percent-encoded path): pywb 2.10 fails on raw non-ASCII
    timestamp: str  # 14-digit UTC
    body: bytes
    content_type: str = "text/html"
    status: str = "200 OK"
    headers: tuple[tuple[str, str], ...] = ()
    revisit_of: tuple[str, str, bytes] | None = None  # (url, timestamp, body) of the identical original


@dataclass
class PywbServer:
    prefix: str  # the collection's replay prefix, http://127.0.0.1:PORT/COLL/
    process: subprocess.Popen[bytes]
    workdir: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def skip_or_fail(message: str) -> None:
    if os.environ.get("POLICYDIFF_SKIP_PYWB") == "1":
        pytest.skip(f"POLICYDIFF_SKIP_PYWB=1: {message}")
    pytest.fail(f"{message} (set POLICYDIFF_SKIP_PYWB=1 to skip the pywb tests)", pytrace=False)


def pywb_bin(name: str) -> Path:
    return PYWB_VENV / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_pywb_venv() -> Path:
    """Create .venv-pywb with pywb pinned, unless it already works."""
    if os.environ.get("POLICYDIFF_SKIP_PYWB") == "1":
        pytest.skip("POLICYDIFF_SKIP_PYWB=1")
    if pywb_bin("wayback").exists() and pywb_bin("wb-manager").exists():
        return PYWB_VENV
    python = "python3" if os.name != "nt" else sys.executable
    steps = [
        [python, "-m", "venv", str(PYWB_VENV)],
        [str(pywb_bin("python")), "-m", "pip", "install", "-q", "-U", "pip"],
        [str(pywb_bin("python")), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            skip_or_fail(f"could not install pywb: {' '.join(step)} failed: {done.stderr.strip()[-800:]}")
    return PYWB_VENV


def write_warc(path: Path, captures: Iterable[WarcCapture]) -> Path:
    """A gzipped WARC 1.1 of response records, bodies byte-exact."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for cap in captures:
            when = datetime.strptime(cap.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            http = StatusAndHeaders(
                cap.status,
                [("Content-Type", cap.content_type), ("Content-Length", str(len(cap.body))), *cap.headers],
                protocol="HTTP/1.1",
            )
            date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            if cap.revisit_of is not None:
                ref_url, ref_ts, ref_body = cap.revisit_of
                ref_date = datetime.strptime(ref_ts, "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")
                digest = "sha1:" + base64.b32encode(hashlib.sha1(ref_body).digest()).decode()
                record = writer.create_revisit_record(cap.url, digest, ref_url, ref_date, http_headers=http)
                record.rec_headers.replace_header("WARC-Date", date)
            else:
                record = writer.create_warc_record(
                    cap.url,
                    "response",
                    payload=BytesIO(cap.body),
                    length=len(cap.body),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": date},
                )
            writer.write_record(record)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_pywb(
    workdir: Path, warc_files: Iterable[Path], coll: str = "coll", timeout: float = 90.0
) -> PywbServer:
    """Build collection ``coll`` from the WARC (or WACZ) files in ``workdir`` and serve it on 127.0.0.1."""
    ensure_pywb_venv()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(
        "# replay only: no live collection, no recording, no proxy\n"
        "framed_replay: false\n"
        "collections_root: collections\n"
        "enable_memento: true\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["NO_PROXY"] = "127.0.0.1,localhost"

    def run(*args: str) -> None:
        done = subprocess.run(
            [str(pywb_bin("wb-manager")), *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            skip_or_fail(f"wb-manager {' '.join(args)} failed: {done.stderr.strip()[-800:]}")

    if not (workdir / "collections" / coll).exists():
        run("init", coll)
    files = [str(Path(f).resolve()) for f in warc_files]
    if files:  # a WACZ is unpacked: its WARC and its own index go into the collection
        run("add", *(["--unpack-wacz"] if any(f.endswith(".wacz") for f in files) else []), coll, *files)
    port = _free_port()
    log = (workdir / "wayback.log").open("wb")
    process = subprocess.Popen(
        [str(pywb_bin("wayback")), "-b", "127.0.0.1", "-p", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = PywbServer(f"http://127.0.0.1:{port}/{coll}/", process, workdir)
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with opener.open(server.prefix + "cdx?url=example.com&output=json", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)  # waiting for a subprocess to start, not for a rate limit
    server.stop()
    tail = (workdir / "wayback.log").read_text(errors="replace")[-800:]
    skip_or_fail(f"pywb did not start on port {port}: {tail}")
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class CorpusCapture:
    url: str
    timestamp: str
    sha256: str
    mime: str
    file: Path


def corpus_captures() -> list[CorpusCapture]:
    entries = json.loads((CORPUS / "index.json").read_text())
    return [
        CorpusCapture(e["url"], e["timestamp"], e["sha256"], e["mime"], CORPUS / e["file"]) for e in entries
    ]


@pytest.fixture(scope="session")
def pywb_corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbServer]:
    """The test corpus served by a real pywb as collection ``corpus``; yields the server."""
    ensure_pywb_venv()
    work = tmp_path_factory.mktemp("pywb")
    warc = write_warc(
        work / "corpus.warc.gz",
        (WarcCapture(c.url, c.timestamp, c.file.read_bytes(), c.mime) for c in corpus_captures()),
    )
    server = start_pywb(work / "site", [warc], coll="corpus")
    yield server
    server.stop()

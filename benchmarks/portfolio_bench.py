"""Benchmark the portfolio on a synthetic 500-policy x 20-capture archive built from the corpus.

    .venv/bin/python benchmarks/portfolio_bench.py [--policies 500] [--captures 20] [--work DIR]

The archive is built once (kept in --work) as the issue asks: one WARC of 10,000 response records
made from the reference texts of ../shared/corpus and ../shared/corpus-wide (each policy's own name
and a revision line in every fifth capture, so each policy has five versions), imported with
`policydiff import`. Then, in the same run:

* app start: spawning the app on that archive to its first paint (median of 5, after one warm-up);
* policy list: loading every policy's name, tags and review state (``Portfolio.infos``), and
  filtering the list by tag and text as the app's filter box does (median of 20);
* update overhead: `update --all` against a loopback archive listing the same captures, run twice
  (the first stores them, the second finds nothing new); CPU time of this process per policy in the
  second run, which waits on no network (the pacer runs on simulated time);
* digest: computing the changes since a run for every policy (``Portfolio.new_changes``).

Targets (issue 17): start <= 300 ms, filter <= 50 ms, update overhead <= 50 ms per policy,
digest <= 1 s. Exit 1 when one is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
TAGS = ("vendor", "eu", "us", "health", "ads", "hr")
sys.path.insert(0, str(ROOT / "benchmarks"))
from ui_bench import CHILD  # noqa: E402  (the app to its first paint, as ui_bench measures it)


def reference_texts(shared: Path) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(shared.glob("corpus*/*/*.ref.md"))]
    return [t for t in texts if len(t.split()) > 300]


def page(text: str, policy: int, revision: int) -> bytes:
    """A plain page holding one reference text, named for its policy, at one revision."""
    paras = [p.strip() for p in text.split("\n\n") if p.strip()]
    body = "".join(f"<p>{re.sub(r'[<>&#*|]', ' ', p)}</p>" for p in paras[:120])
    extra = f"<p>Revision {revision} of this policy adds clause {policy}-{revision}.</p>" if revision else ""
    return (
        f"<html><head><title>Vendor {policy} privacy policy</title></head><body><main>"
        f"<h1>Vendor {policy} privacy policy</h1>{body}{extra}</main></body></html>"
    ).encode()


def url_of(policy: int) -> str:
    return f"https://vendor{policy}.example/privacy"


def timestamp(capture: int) -> str:
    return f"{2020 + capture // 12}{capture % 12 + 1:02d}15120000"


def captures(n_policies: int, n_captures: int, texts: list[str]) -> Iterator[tuple[int, int, str, bytes]]:
    for p in range(n_policies):
        for c in range(n_captures):
            yield p, c, timestamp(c), page(texts[p % len(texts)], p, c // 5)


def build(work: Path, n_policies: int, n_captures: int, texts: list[str]) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archiver.cli import main as cli

    archive = work / f"archive-{n_policies}x{n_captures}"
    if (archive / "archive.sqlite3").exists():
        return archive
    warc = work / "portfolio.warc.gz"
    started = time.perf_counter()
    with warc.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        for p, _, ts, body in captures(n_policies, n_captures, texts):
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            date = f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:{ts[12:14]}Z"
            record = writer.create_warc_record(
                url_of(p),
                "response",
                payload=BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(record)
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 (one line per capture)
    try:
        code = cli(["--archive", str(archive), "import", str(warc)])
    finally:
        sys.stdout.close()
        sys.stdout = stdout
    if code != 0:
        raise SystemExit(f"import failed with exit {code}")
    from archiver.portfolio import Portfolio
    from archiver.storage import Archive

    with Archive.open(archive) as arc:
        portfolio = Portfolio(arc)
        for i, policy in enumerate(arc.policies()):
            portfolio.set_tags(policy, [TAGS[i % len(TAGS)], TAGS[(i // 6) % len(TAGS)]])
    print(f"built {n_policies} x {n_captures} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return archive


def app_start(archive: Path, runs: int = 5) -> float:
    settings = Path(tempfile.mkdtemp()) / "settings.ini"
    child = CHILD.format(root=str(ROOT), archive=str(archive), settings=str(settings))
    times = []
    for _ in range(runs + 1):
        started = time.time()
        out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise SystemExit(f"app start failed: {out.stderr[-2000:]}")
        times.append(float(out.stdout.split()[-1]) - started)
    return statistics.median(times[1:]) * 1000


def policy_list(archive: Path) -> tuple[float, float]:
    """(load ms, filter ms): Portfolio.infos, then a tag-and-text filter as the app's box does."""
    from archiver.portfolio import Portfolio
    from archiver.storage import Archive

    with Archive.open(archive) as arc:
        started = time.perf_counter()
        infos = Portfolio(arc).infos()
        load = (time.perf_counter() - started) * 1000
        filters = []
        for _ in range(20):
            started = time.perf_counter()
            hits = [
                i for i in infos if "eu" in i.tags and "vendor 1" in (i.name + " " + i.policy.url).lower()
            ]
            filters.append((time.perf_counter() - started) * 1000)
        assert hits
    return load, statistics.median(filters)


class _Archive(BaseHTTPRequestHandler):
    """An IA-shaped loopback archive: CDX JSON and id_ replay of the synthetic captures."""

    pages: dict[tuple[str, str], bytes] = {}
    listing: dict[str, list[list[str]]] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        import json
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(self.path)
        if parts.path == "/cdx/search/cdx":
            url = parse_qs(parts.query)["url"][0]
            key = next((k for k in self.listing if k.split("//")[1] in url), "")
            rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
            body = json.dumps(rows + self.listing.get(key, [])).encode()
            self._send(200, "application/json", body, {})
            return
        m = re.match(r"^/web/(\d+)id_/(.*)$", self.path)
        page = self.pages.get((m.group(1), m.group(2))) if m else None
        if page is None:
            self._send(404, "text/html", b"not archived", {})
            return
        ts = m.group(1) if m else ""
        from email.utils import format_datetime

        from archiver.timestamps import to_datetime

        headers = {
            "Memento-Datetime": format_datetime(to_datetime(ts), usegmt=True),
            "Link": f'<{m.group(2) if m else ""}>; rel="original"',
        }
        self._send(200, "text/html; charset=utf-8", page, headers)

    def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def update_overhead(archive: Path, n_policies: int, n_captures: int, texts: list[str]) -> tuple[float, float]:
    """(CPU ms per policy of an update that finds nothing new, digest ms for every policy)."""
    import hashlib
    import shutil

    from archiver.cli import main as cli
    from archiver.client import pacer as pacer_module
    from archiver.client.pacer import ManualClock, Pacer
    from archiver.portfolio import Portfolio
    from archiver.storage import Archive

    copy = archive.parent / (archive.name + "-update")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(archive, copy)
    _Archive.pages, _Archive.listing = {}, {}
    for p, _, ts, body in captures(n_policies, n_captures, texts):
        _Archive.pages[(ts, url_of(p))] = body
        digest = hashlib.sha1(body).hexdigest()
        _Archive.listing.setdefault(url_of(p), []).append(
            ["k", ts, url_of(p), "text/html", "200", digest, str(len(body))]
        )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Archive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prefix = f"http://127.0.0.1:{server.server_port}/web/"
    pacer_module._default = Pacer(clock=ManualClock())  # no waiting: only our own CPU is measured
    argv = [
        "--archive",
        str(copy),
        "update",
        "--all",
        "--archive-url",
        prefix,
        "--archive-kind",
        "ia",
        "--json",
    ]
    devnull = open(os.devnull, "w")  # noqa: SIM115
    stdout = sys.stdout
    try:
        sys.stdout = devnull
        cli(argv)  # first run: stores what the archive lists
        started = time.process_time()
        code = cli(argv)  # second run: nothing new
        cpu = time.process_time() - started
    finally:
        sys.stdout = stdout
        server.shutdown()
    if code != 0:
        raise SystemExit(f"the second update should find nothing new (exit {code})")
    with Archive.open(copy) as arc:
        portfolio = Portfolio(arc)
        with arc.transaction() as conn:
            conn.execute("DELETE FROM policy_updates")  # as before any run: every change is new
        started = time.perf_counter()
        total = sum(len(portfolio.new_changes(p)) for p in arc.policies())
        digest = (time.perf_counter() - started) * 1000
    assert total >= n_policies * 3, total
    return cpu * 1000 / n_policies, digest


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--captures", type=int, default=20)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "policydiff-portfolio-bench"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    texts = reference_texts(args.shared)
    if not texts:
        raise SystemExit(f"no reference texts under {args.shared}")
    archive = build(args.work, args.policies, args.captures, texts)
    start = app_start(archive)
    load, filt = policy_list(archive)
    per_policy, digest = update_overhead(archive, args.policies, args.captures, texts)
    rows = [
        ("app start (first paint)", start, 300.0),
        ("policy list: filter by tag and text", filt, 50.0),
        ("update --all: CPU per policy, nothing new", per_policy, 50.0),
        ("digest of a run, every policy", digest, 1000.0),
    ]
    print(f"{args.policies} policies x {args.captures} captures")
    print(f"{'measure':44} {'ms':>9} {'target':>8}")
    missed = 0
    for name, value, target in rows:
        ok = value <= target
        missed += not ok
        print(f"{name:44} {value:9.1f} {target:8.0f}  {'ok' if ok else 'MISSED'}")
    print(f"{'policy list: load names, tags, reviews':44} {load:9.1f}  (information)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

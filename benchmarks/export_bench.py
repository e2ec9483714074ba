"""Peak memory of exporting a large archive: WARC and WACZ must stay under 150 MB of RSS at 1 GB.

    .venv/bin/python benchmarks/export_bench.py [--size 1G] [--archive DIR] [--formats warc,wacz,...]
                                                [--limit-mb 150]

Builds a synthetic archive of ``--size`` bytes of raw captures (random-ish HTML of 0.2 to 1.8 MB
each, stored through ``Archive.add_capture`` with a short extracted text, so the dataset exports have
versions too) in a temporary folder, or reuses ``--archive DIR`` when it already holds one of that
size. Each export then runs in a child process of its own, which reports its peak resident memory
(``VmHWM`` of ``/proc/self/status``, else ``getrusage``'s ``ru_maxrss``) and, as the reference in the same run, its RSS just before
the export began (Python, the libraries, the open archive). Prints, per format: the reference, the
peak, what the export added, the output size and the throughput. Exit status 1 when the WARC or
WACZ peak reaches ``--limit-mb``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.models import Capture, Extraction, Source  # noqa: E402
from archiver.storage import Archive, text_sha256  # noqa: E402

FORMATS = ("warc", "wacz", "csv", "jsonl", "ota", "pllc")
TARGETS = ("warc", "wacz")  # the formats with a memory target
MB = 1 << 20


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": MB, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    if text[-1:] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _pool(rng: random.Random, size: int) -> bytes:
    """Random-ish HTML to cut pages from: words and numbers in paragraphs, links and lists."""
    vocab = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 11)))
        for _ in range(20_000)
    ]
    parts: list[str] = []
    total = 0
    while total < size:
        words = " ".join(rng.choices(vocab, k=rng.randint(40, 160)))
        block = rng.choice(
            (
                f"<p>{words} {rng.randint(0, 10**9)}</p>\n",
                f'<p><a href="/p/{rng.randint(0, 10**6)}">{words[:40]}</a> {words}</p>\n',
                f"<ul><li>{words[:200]}</li><li>{words[200:]}</li></ul>\n",
                f"<h2>{words[:60]}</h2>\n",
            )
        )
        parts.append(block)
        total += len(block)
    return "".join(parts).encode()


def build_archive(root: Path, size: int) -> tuple[int, int]:
    """Fill ``root`` with about ``size`` bytes of captures of 20 policies; (captures, bytes)."""
    rng = random.Random(2026)
    pool = _pool(rng, 8 * MB)
    archive = Archive.open(root)
    policies = [archive.ensure_policy(f"https://site{n}.example/privacy", f"Site {n}") for n in range(20)]
    count = stored = 0
    while stored < size:
        length = rng.randint(200_000, 1_800_000)
        start = rng.randrange(0, len(pool) - length)
        head = (
            f"<!doctype html><html><head><title>Policy {count}</title></head><body><h1>Capture {count}</h1>\n"
        )
        body = head.encode() + pool[start : start + length] + b"</body></html>\n"
        policy = policies[count % len(policies)]
        n = count // len(policies)
        capture = Capture(
            id=0,
            policy_id=policy.id,
            source=Source.FILE,
            timestamp=f"{2000 + n // 336:04d}{1 + n // 28 % 12:02d}{1 + n % 28:02d}120000",
            original_url=policy.url,
            content_type="text/html; charset=utf-8",
        )
        text = f"# Policy {count}\n\n" + body[200:2200].decode("ascii", "ignore") + "\n"
        extraction = Extraction(
            text=text, text_sha256=text_sha256(text), extractor_version="bench", words=len(text.split())
        )
        archive.add_capture(policy, capture, body, extraction)
        count += 1
        stored += len(body)
    archive.close()
    return count, stored


CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
def peak_kb():
    # VmHWM: this process's own high-water mark (ru_maxrss would carry the parent's over fork+exec)
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from archiver.exports import datasets, wacz, warc
from archiver.storage import Archive
fmt, root, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
export = {"warc": warc.export_warc, "wacz": wacz.export_wacz, "csv": datasets.export_csv,
          "jsonl": datasets.export_jsonl, "ota": datasets.export_ota, "pllc": datasets.export_pllc}[fmt]
archive = Archive.open(root)
policies = archive.policies()
before = peak_kb()
start = time.perf_counter()
result = export(archive, policies, out)
seconds = time.perf_counter() - start
peak = peak_kb()
size = sum(f.stat().st_size for f in result.files)
print(json.dumps({"before_kb": before, "peak_kb": peak, "seconds": seconds, "bytes": size, "items": result.items}))
"""


def run_export(fmt: str, archive: Path, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, fmt, str(archive), str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{fmt} export failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="1G", help="raw bytes of captures in the archive (1G, 200M…)")
    parser.add_argument("--archive", type=Path, help="build (or reuse) the synthetic archive here")
    parser.add_argument(
        "--formats", default=",".join(FORMATS), help="comma-separated, of " + ",".join(FORMATS)
    )
    parser.add_argument("--limit-mb", type=float, default=150.0, help="peak RSS target for WARC and WACZ")
    args = parser.parse_args()
    size = parse_size(args.size)
    formats = [f for f in args.formats.split(",") if f]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    work = Path(tempfile.mkdtemp(prefix="policydiff-export-bench-"))
    root = args.archive or work / "archive"
    try:
        marker = root / "bench-size"
        if marker.is_file() and marker.read_text() == str(size):
            with Archive.open(root) as archive:
                stats = archive.stats()
            captures, stored = (
                stats["captures"],
                sum(p.stat().st_size for p in (root / "blobs").rglob("*") if p.is_file()),
            )
            print(f"reusing {root}: {captures} captures, {stored / MB:.0f} MB of raw bytes")
        else:
            if root.exists() and any(root.iterdir()):
                raise SystemExit(f"{root} holds something else; give an empty or new folder")
            start = time.perf_counter()
            captures, stored = build_archive(root, size)
            marker.write_text(str(size))
            took = time.perf_counter() - start
            print(f"built {root}: {captures} captures, {stored / MB:.0f} MB of raw bytes in {took:.0f} s")
        print(
            f"\n{'format':7} {'before':>9} {'peak':>9} {'added':>9} {'output':>10} {'seconds':>8} {'MB/s':>6}"
        )
        missed = []
        for fmt in formats:
            out = work / ("out-" + fmt if fmt in ("ota", "pllc") else f"out.{fmt}")
            f = run_export(fmt, root, out)
            before, peak = f["before_kb"] / 1024, f["peak_kb"] / 1024
            print(
                f"{fmt:7} {before:7.1f}MB {peak:7.1f}MB {peak - before:7.1f}MB {f['bytes'] / MB:8.1f}MB "
                f"{f['seconds']:8.1f} {stored / MB / max(f['seconds'], 1e-9):6.1f}"
            )
            if fmt in TARGETS and peak >= args.limit_mb:
                missed.append(f"{fmt}: peak {peak:.1f} MB >= {args.limit_mb:.0f} MB")
            if out.is_dir():
                shutil.rmtree(out)
            else:
                out.unlink(missing_ok=True)
        print(f"\narchive: {stored / MB:.0f} MB raw; target: WARC and WACZ peak under {args.limit_mb:.0f} MB")
        for line in missed:
            print("MISSED", line)
        print("OK" if not missed else f"{len(missed)} target(s) missed")
        return 1 if missed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark search across versions, paragraph history (blame) and storing with indexing.

    .venv/bin/python benchmarks/search_bench.py [--corpus DIR] [--policies 500] [--versions 20]
                                                [--runs 5] [--keep DIR]

A synthetic portfolio, built in a temporary archive from the reference extractions (``*.ref.md``)
of ../shared/corpus-wide (and ../shared/corpus): policy ``p`` starts from corpus text ``p mod n``
with its paragraphs marked as that policy's own (so no two policies share paragraphs, as in real
portfolios), and each next version is the one before with a few deterministic edits: words changed
in two paragraphs, one paragraph inserted, one deleted, and every third version one moved (then
changed two versions later). Captures are stored text-only through ``Archive.add_capture``, which
indexes each new text as it stores it.

Targets (non-zero exit on a miss): a search query <= 50 ms (median over the runs, each query);
blame of a 20-version policy <= 200 ms (median); storing a capture with indexing <= 20 ms
(median over 40 new versions). Wall-clock time by default; ``--judge cpu`` checks this thread's CPU
time instead, for a machine shared with other jobs (both are printed, with the load average). References in the same run: the search against a ``LIKE`` scan of
every stored text (what searching without the index costs), blame against one diff of its last
pair, storing a new text against storing a capture whose text is stored (and indexed) already.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.analysis.blame import blame  # noqa: E402
from archiver.diffing import diff_texts  # noqa: E402
from archiver.index.search import search  # noqa: E402
from archiver.models import Capture, Extraction, Source  # noqa: E402
from archiver.storage import Archive  # noqa: E402

SEARCH_MS, BLAME_MS, STORE_MS = 50.0, 200.0, 20.0
WORDS = "data privacy consent controller processor retention transfer cookie partner vendor".split()
QUERIES = (
    ("phrase", '"artificial intelligence"'),
    ("rare word", "biometric"),
    ("prefix", "arbitra*"),
    ("folded (é)", "donnees"),
    ("two words", "retention period"),
    ("one policy's phrase", '"policy 17 clause"'),
)


def default_corpus() -> list[Path]:
    """../shared beside the clone (a clone two levels down, such as a worktree, looks there too)."""
    for parent in ROOT.parents[:3]:
        shared = parent / "shared"
        if (shared / "corpus-wide").is_dir():
            return [shared / "corpus-wide", shared / "corpus"]
    return []


def base_texts(dirs: list[Path]) -> list[str]:
    texts = [p.read_text("utf-8") for d in dirs for p in sorted(d.glob("*/*.ref.md"))]
    return [t for t in texts if len(t) > 2000]


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def own(paras: list[str], p: int) -> list[str]:
    """The policy's own copy: each paragraph carries its policy's name."""
    return [f"{para} (policy {p} clause {i})" for i, para in enumerate(paras)]


def next_version(paras: list[str], rng: random.Random, k: int, moved: dict[int, str]) -> list[str]:
    paras = list(paras)
    for _ in range(2):  # words changed in two paragraphs
        i = rng.randrange(len(paras))
        words = paras[i].split(" ")
        words[rng.randrange(len(words))] = rng.choice(WORDS)
        paras[i] = " ".join(words)
    paras.insert(rng.randrange(len(paras) + 1), f"New clause {k}: we may share {rng.choice(WORDS)} data.")
    if len(paras) > 8:
        del paras[rng.randrange(len(paras))]
    if k % 3 == 0 and len(paras) > 8:  # a move, changed two versions later
        i = rng.randrange(len(paras))
        para = paras.pop(i)
        paras.insert(rng.randrange(len(paras) + 1), para)
        moved[k + 2] = para
    if k in moved and moved[k] in paras:
        i = paras.index(moved[k])
        paras[i] = paras[i] + " This clause was revised."
    return paras


def extraction(text: str) -> Extraction:
    return Extraction(
        text=text,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        extractor_version="bench",
        words=len(text.split()),
    )


def capture(url: str, timestamp: str) -> Capture:
    return Capture(
        id=0,
        policy_id=0,
        source=Source.FILE,
        timestamp=timestamp,
        original_url=url,
        retrieved_at="2026-01-01T00:00:00Z",
        content_type="text/markdown",
    )


def stamp(k: int) -> str:
    return f"{2010 + k // 12:04d}{k % 12 + 1:02d}15120000"


def build(archive: Archive, bases: list[str], policies: int, versions: int) -> None:
    started = time.perf_counter()
    for p in range(policies):
        rng = random.Random(p)
        url = f"https://policy{p}.example/privacy"
        policy = archive.ensure_policy(url, label=f"Policy {p}")
        paras = own(paragraphs(bases[p % len(bases)]), p)
        moved: dict[int, str] = {}
        for k in range(versions):
            if k:
                paras = next_version(paras, rng, k, moved)
            archive.add_capture(policy, capture(url, stamp(k)), None, extraction("\n\n".join(paras) + "\n"))
        if p % 50 == 49:
            print(
                f"  built {p + 1}/{policies} policies ({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
            )


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, object, float]:
    """Median wall-clock ms, the last result, and median CPU ms of this thread (what the work
    costs when other processes share the CPUs)."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        t, c = time.perf_counter(), time.thread_time()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return statistics.median(times), result, statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", help="folders of */*.ref.md (repeatable)")
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--judge",
        choices=("wall", "cpu"),
        default="wall",
        help="what the targets are checked against: wall-clock time (default), or this thread's CPU "
        "time (on a machine shared with other jobs)",
    )
    parser.add_argument("--keep", type=Path, help="build the archive here and keep it (reused if there)")
    args = parser.parse_args()
    dirs = args.corpus or default_corpus()
    bases = base_texts(dirs)
    if not bases:
        print("no corpus texts found: give --corpus DIR (folders of */*.ref.md)", file=sys.stderr)
        return 2
    root = args.keep or Path(tempfile.mkdtemp(prefix="search-bench-"))
    misses: list[str] = []
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall-clock figures grow with it)")
    try:
        archive = Archive.open(root)
        if archive.stats()["captures"] == 0:
            print(
                f"building {args.policies} policies x {args.versions} versions from {len(bases)} corpus texts",
                file=sys.stderr,
            )
            t = time.perf_counter()
            build(archive, bases, args.policies, args.versions)
            print(f"built in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        stats = archive.stats()
        rows = archive.query("SELECT COUNT(*), SUM(LENGTH(postings)) / 8 FROM search_paragraphs")
        db_mb = (root / "archive.sqlite3").stat().st_size / 1e6
        print(
            f"portfolio: {stats['policies']} policies, {stats['captures']} captures, {stats['texts']} texts; "
            f"index: {rows[0][0]} distinct paragraphs, {rows[0][1]} occurrences; archive file {db_mb:.0f} MB"
        )

        print(f"\nsearch (median of {args.runs}; target <= {SEARCH_MS:.0f} ms)")
        like_ms, _, _ = median_ms(
            lambda: archive.query("SELECT COUNT(*) FROM texts WHERE text LIKE '%artificial intelligence%'"), 1
        )
        for name, query in QUERIES:
            ms, result, cpu = median_ms(lambda q=query: search(archive, q), args.runs)
            assert isinstance(result, list)
            hits = sum(len(m.versions) for m in result)
            judged = cpu if args.judge == "cpu" else ms
            verdict = "ok" if judged <= SEARCH_MS else "MISS"
            print(
                f"  {name:20s} {query:28s} {ms:7.1f} ms (cpu {cpu:5.1f})  {len(result):4d} policies "
                f"{hits:6d} versions  {verdict}"
            )
            if judged > SEARCH_MS:
                misses.append(f"search {query}")
        print(f"  reference: LIKE scan of every text for one phrase: {like_ms:.0f} ms")

        policy = archive.get_policy("https://policy17.example/privacy")  # 20 versions
        versions = archive.versions(policy.id)
        blame_ms, result, blame_cpu = median_ms(lambda: blame(archive, versions[-1]), args.runs)
        left, right = archive.text(versions[-2].text_sha256), archive.text(versions[-1].text_sha256)
        diff_ms, _, _ = median_ms(lambda: diff_texts(left, right), args.runs)
        blame_judged = blame_cpu if args.judge == "cpu" else blame_ms
        verdict = "ok" if blame_judged <= BLAME_MS else "MISS"
        print(
            f"\nblame of a {len(versions)}-version policy ({len(right) // 1000} KB): {blame_ms:.1f} ms "
            f"(cpu {blame_cpu:.1f}; target <= {BLAME_MS:.0f}) {verdict}; one diff of its last pair {diff_ms:.1f} ms "
            f"(x{blame_ms / diff_ms:.1f})"
        )
        if blame_judged > BLAME_MS:
            misses.append("blame")

        new_ms, same_ms, new_cpu = [], [], []
        rng = random.Random(12345)
        store_no = time.time_ns()  # a new policy each run (--keep), with paragraphs of its own
        paras = own(paragraphs(bases[0]), store_no)
        url = f"https://store-{store_no}.example/privacy"
        store_policy = archive.ensure_policy(url)
        for n in range(40):
            paras = next_version(paras, rng, 100 + n, {})
            text = "\n\n".join(paras) + "\n"
            t, c = time.perf_counter(), time.thread_time()
            archive.add_capture(store_policy, capture(url, stamp(300 + 2 * n)), None, extraction(text))
            new_ms.append((time.perf_counter() - t) * 1000)
            new_cpu.append((time.thread_time() - c) * 1000)
            t = time.perf_counter()
            archive.add_capture(store_policy, capture(url, stamp(301 + 2 * n)), None, extraction(text))
            same_ms.append((time.perf_counter() - t) * 1000)
        store = statistics.median(new_cpu if args.judge == "cpu" else new_ms)
        verdict = "ok" if store <= STORE_MS else "MISS"
        print(
            f"\nstoring a capture with a new text, indexed: median {statistics.median(new_ms):.1f} ms, max {max(new_ms):.1f} ms "
            f"(cpu {statistics.median(new_cpu):.1f}; target <= {STORE_MS:.0f}) {verdict}; a capture whose text is indexed already: "
            f"{statistics.median(same_ms):.1f} ms"
        )
        if store > STORE_MS:
            misses.append("store")
        archive.close()
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    if misses:
        print(f"\nMISSED: {', '.join(misses)}")
        return 1
    print("\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

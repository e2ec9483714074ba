"""Benchmark what issue 14's answers add to a comparison: topic tagging against the diff itself.

    .venv/bin/python benchmarks/answers_bench.py [--runs N] [--corpus DIR ...] [--extract]

Pairs are consecutive captures of every document of ../shared/corpus and ../shared/corpus-wide
(override with ``--corpus``), compared as OTA's reference extractions (``*.ref.md``), or as our own
extraction of the raw captures with ``--extract``; identical texts are skipped. For every pair, in
the same run and interleaved (so a busy machine slows both alike): the diff (``diff_texts``) and the
topic tagging of its rows with the shipped watchlist (``tag_diff``, the matcher already built, as in
a running app or a long export), best of N runs each.

Target (issue 14): tagging adds at most 10% to a diff, over all pairs (sum of tag times over sum of
diff times). The matcher's one-off build, per language, is printed apart. Also printed: the per-version
measures (words, sentences, readability, third parties) against extraction-free text reading, for the
record. Exit status 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archiver.analysis.measures import measure_text  # noqa: E402
from archiver.analysis.topics import _matcher, load_watchlist, matcher, tag_diff  # noqa: E402
from archiver.diffing import diff_texts  # noqa: E402
from archiver.extraction.quality import guess_language  # noqa: E402

SHARED = ROOT.parent / "shared"
TARGET = 0.10


def best(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def corpus_texts(root: Path, extract: bool) -> dict[str, list[tuple[str, str]]]:
    """slug -> [(timestamp, text)] in time order."""
    index = json.loads((root / "index.json").read_text())
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for entry in sorted(index, key=lambda e: (e["slug"], e["timestamp"])):
        if extract:
            from archiver.extraction import extract as run_extract

            path = root / entry["file"]
            kind = "application/pdf" if path.suffix == ".pdf" else "text/html"
            text = run_extract(path.read_bytes(), kind).text
        else:
            ref = entry.get("reference") or {}
            path = root / (ref.get("file") or entry["file"].rsplit(".", 1)[0] + ".ref.md")
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
        out[entry["slug"]].append((entry["timestamp"], text))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus", type=Path, nargs="*", default=[SHARED / "corpus", SHARED / "corpus-wide"])
    parser.add_argument("--extract", action="store_true", help="diff our extraction of the raw captures")
    args = parser.parse_args()
    watchlist = load_watchlist()

    pairs: list[tuple[str, str, str, str]] = []
    for root in args.corpus:
        if not (root / "index.json").is_file():
            print(f"no corpus at {root} (give --corpus)", file=sys.stderr)
            return 2
        for slug, versions in corpus_texts(root, args.extract).items():
            for (_, before), (stamp, after) in zip(versions, versions[1:], strict=False):
                if before != after:
                    pairs.append((slug, stamp, before, after))

    languages = sorted({guess_language(after) or "en" for *_, after in pairs})
    _matcher.cache_clear()
    build = {
        lang: best(lambda lang=lang: (_matcher.cache_clear(), matcher(watchlist, lang)), 1)
        for lang in languages
    }
    print(
        "matcher build (once per language per process): "
        + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in build.items())
    )

    print(f"{'pair':46} {'KB':>5} {'rows':>5} {'diff ms':>8} {'tag ms':>7} {'tag %':>6} {'tagged':>6}")
    total_diff = total_tag = 0.0
    for slug, stamp, before, after in pairs:
        language = guess_language(after) or "en"
        result = diff_texts(before, after)
        tags = tag_diff(result, watchlist, language)  # warms the matcher's word memory, as an app does
        diff_t = tag_t = float("inf")
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            diff_t = min(diff_t, best(partial(diff_texts, before, after), 1))
            tag_t = min(tag_t, best(partial(tag_diff, result, watchlist, language), 1))
        total_diff += diff_t
        total_tag += tag_t
        tagged = sum(1 for t in tags if t)
        changed = sum(1 for r in result.rows if r.changed)
        print(
            f"{slug + ' ' + stamp:46} {len(after) / 1024:5.0f} {len(result.rows):5d} {diff_t * 1000:8.2f} "
            f"{tag_t * 1000:7.2f} {tag_t / diff_t:6.1%} {tagged:3d}/{changed:<3d}"
        )
    ratio = total_tag / total_diff
    print(
        f"\nall {len(pairs)} pairs: diff {total_diff * 1000:.1f} ms, topic tagging {total_tag * 1000:.1f} ms = +{ratio:.1%} (target <= {TARGET:.0%})"
    )

    texts = [after for *_, after in pairs]
    per_version = best(lambda: [measure_text(t, guess_language(t)) for t in texts], 1) / len(texts)
    print(f"measures (words, sentences, readability, third parties): {per_version * 1000:.1f} ms per version")
    if ratio > TARGET:
        print(f"MISSED: topic tagging adds {ratio:.1%} to a diff (target {TARGET:.0%})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the diff engine against git's word diff and diff-match-patch on real policy pairs.

    .venv/bin/python benchmarks/diff_bench.py [--runs N] [--quick] [--only TEXT ...] [--no-app]

(diff-match-patch, for the comparison, comes with ``.venv/bin/pip install -e '.[bench]'``.)

Pairs are built from the reference extractions (``*.ref.md``) of ../shared/corpus (falling back to
tests/data/corpus): consecutive versions with small edits, markup-only changes, the GitHub and
Tinder rewrites, the Tinder partial capture, and unrelated policies. "Tinder medium edit" re-formats
most list items (104 of 170 blocks change), so it is reported apart from the small edits. The corpus
texts are 12-62 KB, so the size targets use pairs joined from several policies (``+``, "joined") or
repeated (``xN``; repeated blocks are diffed once, which flatters ``xN`` a little, hence the joined
rewrite pair). Last ("app"), the joined small-edit pairs again from our own extraction of the same
raw captures: what the app compares (the references' PDF text has a block per line; ours has
paragraphs).

For every pair, in the same run: our engine (median of N runs, and its tracemalloc peak), ``git diff
--no-index --word-diff=porcelain`` on the same texts as files, pure-Python diff-match-patch with its
defaults (1 s timeout, character diff), and a whole-document word diff (fast-diff-match-patch over word
tokens, semantic cleanup, no timeout) as the reference for how much text a minimal word diff marks.

Columns: ``ms`` times; ``chg`` characters marked changed (deleted + inserted); ``x ref`` our changed
characters over the whole-document word diff's; ``git B`` git's output size in bytes; ``dmp``
diff-match-patch time and whether it degenerated to delete-all/insert-all; ``kept`` for rewrites:
paragraphs of the old text that survive word for word in the new one, and how many of them we matched
(equal or moved).

A small-edit pair slower than 2x git also gets where our time goes (splitting, alignment, rows,
statistics): splitting, rows and statistics cost per block whatever changed, so their sum against
git's time says how much of the 2x is left for the alignment.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import fast_diff_match_patch as fdmp  # noqa: E402

from archiver.diffing import DiffResult, RowKind, diff_texts  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else ROOT / "tests" / "data" / "corpus"
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")

GH, TI, DO, HE = "github-privacy", "tinder-privacy", "doctolib-privacy-pdf-fr", "heloa-privacy-fr"


def ref(slug: str, ts: str) -> str:
    return (CORPUS / slug / f"{ts}.ref.md").read_text(encoding="utf-8")


def ours(slug: str, ts: str) -> str:
    """Our own extraction of the capture (what the app compares), from its raw bytes."""
    from archiver.extraction import extract

    entry = next(
        e for e in json.loads((CORPUS / "index.json").read_text()) if e["file"].startswith(f"{slug}/{ts}.")
    )
    return extract((CORPUS / entry["file"]).read_bytes(), entry["mime"]).text


@dataclass
class Pair:
    name: str
    kind: str  # small | medium | markup | partial | rewrite | unrelated | app | app-table-pdf
    a: str
    b: str
    reference: bool = True  # run the whole-document word diff (seconds on big rewrites)


def pairs() -> list[Pair]:
    gh_small = (ref(GH, "20230501183000"), ref(GH, "20231013183001"))
    gh_late = (ref(GH, "20240203003002"), ref(GH, "20250916003008"))
    ti_medium = (ref(TI, "20220407003230"), ref(TI, "20230120003318"))
    do_small = (ref(DO, "20250718003000"), ref(DO, "20250805003001"))
    he_small = (ref(HE, "20250902003011"), ref(HE, "20250926123039"))
    gh_rewrite = (ref(GH, "20231013183001"), ref(GH, "20240203003002"))
    ti_rewrite = (ref(TI, "20240416003323"), ref(TI, "20240531183348"))
    ti_2026 = (ref(TI, "20250417123351"), ref(TI, "20260306003250"))
    do_vs_gh = (ref(DO, "20250718003000"), ref(GH, "20250916003008"))

    def join(*ps: tuple[str, str]) -> tuple[str, str]:
        return "\n".join(p[0] for p in ps), "\n".join(p[1] for p in ps)

    def times(p: tuple[str, str], n: int) -> tuple[str, str]:
        return join(*([p] * n))

    return [
        Pair("GitHub small edit", "small", *gh_small),
        Pair("GitHub late small edit", "small", *gh_late),
        Pair("Doctolib (PDF) small edit", "small", *do_small),
        Pair("Heloa small edit", "small", *he_small),
        Pair("GitHub small+late", "small", *join(gh_small, gh_late)),
        Pair("Doctolib+GitHub late", "small", *join(do_small, gh_late)),
        Pair("GitHub small x2", "small", *times(gh_small, 2)),
        Pair("Tinder medium edit", "medium", *ti_medium),
        Pair("GitHub+Tinder medium", "medium", *join(gh_small, ti_medium)),
        Pair("GitHub markup-only", "markup", ref(GH, "20230425183000"), ref(GH, "20230501183000")),
        Pair("Tinder markup change", "markup", ref(TI, "20230120003318"), ref(TI, "20240416003323")),
        Pair("Tinder sections 7-9 gone", "partial", ref(TI, "20240531183348"), ref(TI, "20250417003349")),
        Pair("Tinder sections 7-9 back", "partial", ref(TI, "20250417003349"), ref(TI, "20250417123351")),
        Pair("GitHub rewrite", "rewrite", *gh_rewrite),
        Pair("Tinder rewrite", "rewrite", *ti_rewrite),
        Pair("GitHub rewrite x3", "rewrite", *times(gh_rewrite, 3), reference=False),
        Pair("Tinder rewrite x5", "rewrite", *times(ti_rewrite, 5), reference=False),
        Pair(
            "4 rewrites joined", "rewrite", *join(gh_rewrite, ti_rewrite, ti_2026, do_vs_gh), reference=False
        ),
        Pair("GitHub vs Doctolib", "unrelated", ref(GH, "20231013183001"), ref(DO, "20250718003000")),
        Pair("GitHub vs Tinder", "unrelated", ref(GH, "20231013183001"), ref(TI, "20240531183348")),
    ]


def app_pairs() -> list[Pair]:
    """The joined small-edit pairs again, from our own extraction of the same captures: what the
    app compares (the references above come from Open Terms Archive's extractor, whose PDF text
    has a block per line)."""
    gh_small = (ours(GH, "20230501183000"), ours(GH, "20231013183001"))
    gh_late = (ours(GH, "20240203003002"), ours(GH, "20250916003008"))
    do_small = (ours(DO, "20250718003000"), ours(DO, "20250805003001"))

    def join(*ps: tuple[str, str]) -> tuple[str, str]:
        return "\n".join(p[0] for p in ps), "\n".join(p[1] for p in ps)

    return [
        Pair("GitHub small+late (app)", "app", *join(gh_small, gh_late)),
        Pair("GitHub small x2 (app)", "app", *join(gh_small, gh_small)),
        # Not a small edit in our text: pypdf reads this PDF's tables row by row across the columns,
        # so an edit in one cell reorders the words of the lines around it (git's word diff marks
        # twice what it marks on the references). Reported, held to no target.
        Pair("Doctolib+GitHub late (app)", "app-table-pdf", *join(do_small, gh_late)),
    ]


# --- measurements ---------------------------------------------------------------------------------


def ours_changed_chars(result: DiffResult) -> int:
    total = 0
    for row in result.rows:
        if row.kind is RowKind.DELETE and row.left is not None:
            total += len(row.left.body)
        elif row.kind is RowKind.INSERT and row.right is not None:
            total += len(row.right.body)
        else:
            total += sum(s.end - s.start for s in row.left_spans + row.right_spans)
    return total


def time_ours(a: str, b: str, runs: int) -> tuple[float, float, DiffResult]:
    result = diff_texts(a, b)  # warm-up (imports, regex compilation)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = diff_texts(a, b)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    diff_texts(a, b)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times) * 1000, peak / 2**20, result


def time_git(a: str, b: str, runs: int) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        pa, pb = Path(tmp, "a.md"), Path(tmp, "b.md")
        pa.write_text(a, encoding="utf-8")
        pb.write_text(b, encoding="utf-8")
        cmd = ["git", "diff", "--no-index", "--no-color", "--word-diff=porcelain", str(pa), str(pb)]
        times = []
        out = b""
        for _ in range(runs):
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, check=False).stdout
            times.append(time.perf_counter() - t0)
    changed = 0
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line[:1] in "+-":
            changed += len(line) - 1
    return statistics.median(times) * 1000, len(out), changed


def time_dmp_defaults(a: str, b: str) -> tuple[float, int, bool]:
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()  # defaults: Diff_Timeout = 1.0 s
    t0 = time.perf_counter()
    diffs = dmp.diff_main(a, b)
    elapsed = (time.perf_counter() - t0) * 1000
    changed = sum(len(t) for op, t in diffs if op != 0)
    equal = sum(len(t) for op, t in diffs if op == 0)
    degenerate = equal < 0.01 * min(len(a), len(b))
    return elapsed, changed, degenerate


def whole_word_diff(a: str, b: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    codes: dict[str, str] = {}

    def enc(text: str) -> tuple[str, list[str]]:
        toks = TOKEN.findall(text)
        chars = []
        for t in toks:
            c = codes.get(t)
            if c is None:
                n = len(codes) + 0x100
                c = codes[t] = chr(n + 0x800 if n >= 0xD800 else n)
            chars.append(c)
        return "".join(chars), toks

    ea, ta = enc(a)
    eb, tb = enc(b)
    ops = fdmp.diff(ea, eb, timelimit=0, cleanup="Semantic", counts_only=True)
    elapsed = (time.perf_counter() - t0) * 1000
    changed = 0
    i = j = 0
    for op, n in ops:
        if op == "=":
            i += n
            j += n
        elif op == "-":
            changed += sum(len(t) for t in ta[i : i + n])
            i += n
        else:
            changed += sum(len(t) for t in tb[j : j + n])
            j += n
    return elapsed, changed


def survivors(a: str, b: str, result: DiffResult) -> tuple[int, int]:
    """Paragraphs (5+ words) of the old text found word for word in the new one, and how many we matched."""
    kept = matched = 0
    right_bodies = {blk.body for blk in result.right_blocks()}
    for row in result.rows:
        left = row.left
        if left is None or len(left.body.split()) < 5 or left.body not in right_bodies:
            continue
        kept += 1
        if row.kind in (RowKind.EQUAL, RowKind.MOVE):
            matched += 1
    return kept, matched


# --- report ---------------------------------------------------------------------------------------


def breakdown(a: str, b: str, runs: int, git_ms: float) -> str:
    """Where our time goes, step by step as diff_texts runs them (median ms). Splitting, rows and
    statistics cost per block whatever changed: their sum against git says what is left for the
    alignment within 2x git."""
    from archiver.diffing.align import align
    from archiver.diffing.blocks import split_blocks
    from archiver.diffing.engine import _rows, _stats
    from archiver.diffing.model import DiffOptions
    from archiver.diffing.words import TokenCodec

    options = DiffOptions()

    def aligned(la: Any, lb: Any) -> Any:
        if a <= b:
            return align(la, lb, options, TokenCodec(options))
        return align(lb, la, options, TokenCodec(options)).mirrored()

    la, lb = split_blocks(a), split_blocks(b)
    al = aligned(la, lb)
    rows = _rows(la, lb, al)
    steps = {
        "split": lambda: (split_blocks(a), split_blocks(b)),
        "align": lambda: aligned(la, lb),
        "rows": lambda: _rows(la, lb, al),
        "stats": lambda: _stats(rows, la, lb, False, al.equal, a),
    }
    ms = {}
    for name, step in steps.items():
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        ms[name] = statistics.median(times) * 1000
    per_block = ms["split"] + ms["rows"] + ms["stats"]
    parts = ", ".join(f"{name} {t:.1f}" for name, t in ms.items())
    return (
        f"{len(la)}/{len(lb)} blocks: {parts} ms; per-block steps {per_block:.1f} ms = "
        f"{per_block / git_ms:.2f}x git, leaving {2 * git_ms - per_block:.1f} ms for the alignment within 2x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9, help="timed runs per pair for ours and git")
    parser.add_argument("--quick", action="store_true", help="skip diff-match-patch and the reference diff")
    parser.add_argument(
        "--only", nargs="+", metavar="TEXT", help="run only the pairs whose name contains TEXT"
    )
    parser.add_argument(
        "--no-app", action="store_true", help="skip the pairs from our own extraction (PDFs take seconds)"
    )
    args = parser.parse_args()

    print(f"corpus: {CORPUS}")
    header = (
        f"{'pair':<27} {'KB a/b':>11} {'ours ms':>8} {'MiB':>5} {'ours chg':>9} {'ref ms':>8} {'ref chg':>8} "
        f"{'x ref':>5} {'git ms':>7} {'x git':>5} {'git B':>8} {'git chg':>8} {'dmp ms':>7} {'dmp':>6} {'kept':>7}"
    )
    print(header)
    print("-" * len(header))
    failures: list[str] = []
    app_failures: list[str] = []
    for p in [*pairs(), *([] if args.no_app else app_pairs())]:
        if args.only and not any(text.lower() in p.name.lower() for text in args.only):
            continue
        ours_ms, mib, result = time_ours(p.a, p.b, args.runs)
        ours_chg = ours_changed_chars(result)
        git_ms, git_bytes, git_chg = time_git(p.a, p.b, max(3, args.runs // 2))
        ref_ms = ref_chg = None
        if p.reference and not args.quick:
            ref_ms, ref_chg = whole_word_diff(p.a, p.b)
        dmp = "-"
        dmp_ms_s = "-"
        if not args.quick:
            dmp_ms, _dmp_chg, degenerate = time_dmp_defaults(p.a, p.b)
            dmp_ms_s = f"{dmp_ms:.0f}"
            dmp = "ALL" if degenerate else "ok"
        kept = "-"
        if p.kind in ("rewrite", "unrelated", "partial"):
            k, m = survivors(p.a, p.b, result)
            kept = f"{m}/{k}"
            if k and not m:
                failures.append(f"{p.name}: no surviving paragraph matched")
        x_ref = f"{ours_chg / ref_chg:.2f}" if ref_chg else ("-" if ref_chg is None else "n/a")
        x_git = ours_ms / git_ms
        kb = f"{len(p.a.encode()) / 1000:.0f}/{len(p.b.encode()) / 1000:.0f}"
        print(
            f"{p.name:<27} {kb:>11} {ours_ms:>8.1f} {mib:>5.1f} {ours_chg:>9} "
            f"{(f'{ref_ms:.0f}' if ref_ms is not None else '-'):>8} {(ref_chg if ref_chg is not None else '-'):>8} "
            f"{x_ref:>5} {git_ms:>7.1f} {x_git:>5.2f} {git_bytes:>8} {git_chg:>8} {dmp_ms_s:>7} {dmp:>6} {kept:>7}"
        )
        size = max(len(p.a.encode()), len(p.b.encode()))
        if p.kind in ("small", "markup", "partial", "app") and size >= 90_000:
            missed = app_failures if p.kind == "app" else failures
            if ours_ms > 10:
                missed.append(f"{p.name}: {ours_ms:.1f} ms > 10 ms")
            if x_git > 2:
                missed.append(f"{p.name}: {x_git:.2f}x git > 2x; {breakdown(p.a, p.b, args.runs, git_ms)}")
        if p.kind in ("small", "medium", "markup", "partial") and ref_chg and ours_chg > 1.1 * ref_chg:
            failures.append(f"{p.name}: marks {ours_chg / ref_chg:.2f}x the whole-document word diff > 1.1x")
        if p.kind == "rewrite" and size >= 170_000:
            if ours_ms > 250:
                failures.append(f"{p.name}: {ours_ms:.0f} ms > 250 ms")
            if mib > 50:
                failures.append(f"{p.name}: {mib:.0f} MiB > 50 MiB")
    print()
    print(
        "targets: ~100 KB small edits <= 10 ms and <= 2x git, changed <= 1.1x whole-document word diff; "
        "180 KB rewrite <= 250 ms and <= 50 MiB, surviving paragraphs matched"
    )
    if failures:
        print("NOT MET:")
        for f in failures:
            print(f"  - {f}")
    else:
        print("all targets met")
    if app_failures:
        print("NOT MET on our own extraction (app):")
        for f in app_failures:
            print(f"  - {f}")
    elif not args.no_app:
        print("small-edit targets met on our own extraction (app)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

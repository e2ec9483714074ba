"""Benchmark the compare view: first paint after ``set_result``, jump to the end, a scroll-through,
the view toggles, and a cached pair end to end (diff + paint; extraction is measured elsewhere).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/compare_paint_bench.py [--runs N]

Prints medians (and maxima) in milliseconds; no assertions. Targets (docs/performance.md): first paint
<= 50 ms after the diff; jump to the end <= 35 ms; a cached pair end to end <= 100 ms for a typical edit
and <= 250 ms for a rewrite (the extraction of the two pages, about 2 x 30 ms, is not included here).

"First paint" is ``set_result`` (layout, ``setPlainText``, formats) plus a synchronous ``repaint()`` of
the whole view, on a 1400x900 window, with Markdown read as prose (the default); "first paint, source"
is the same with the Markdown source shown (monospaced, no prose formats), the reference in the run: what a user waits for before the diff is on screen.
"Topic marks" is ``set_topics`` (the words of the changes that matched the shipped watchlist, tagged
beforehand as the app does in a worker, found and underlined) plus a repaint: in the app it follows
the first paint, when the tags arrive. The jump, scroll-through and toggles below it run with the marks on. The corpus
texts are 12-62 KB, so the ~100 KB pairs join two policies (as benchmarks/diff_bench.py does).

``first_paint_ms(view, result)`` is importable (benchmarks/ui_bench.py may reuse it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from archiver.analysis.topics import load_watchlist, tag_diff  # noqa: E402
from archiver.diffing import DiffResult, diff_texts  # noqa: E402
from ui.compare import CompareView  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else ROOT / "tests" / "data" / "corpus"
GH, TI = "github-privacy", "tinder-privacy"


def ref(slug: str, ts: str) -> str:
    return (CORPUS / slug / f"{ts}.ref.md").read_text(encoding="utf-8")


def pairs() -> list[tuple[str, str, str]]:
    gh_small = (ref(GH, "20230501183000"), ref(GH, "20231013183001"))
    gh_late = (ref(GH, "20240203003002"), ref(GH, "20250916003008"))
    gh_rewrite = (ref(GH, "20231013183001"), ref(GH, "20240203003002"))
    ti_rewrite = (ref(TI, "20240416003323"), ref(TI, "20240531183348"))

    def join(*ps: tuple[str, str]) -> tuple[str, str]:
        return "\n".join(p[0] for p in ps), "\n".join(p[1] for p in ps)

    return [
        ("GitHub small edit (60 KB)", *gh_small),
        ("Tinder sections 7-9 gone (33 KB)", ref(TI, "20240531183348"), ref(TI, "20250417003349")),
        ("typical edit, GitHub small+late (~105 KB)", *join(gh_small, gh_late)),
        ("GitHub rewrite (62/45 KB)", *gh_rewrite),
        ("rewrite, GitHub+Tinder joined (~100/80 KB)", *join(gh_rewrite, ti_rewrite)),
    ]


def first_paint_ms(view: CompareView, result: DiffResult, left: str = "old", right: str = "new") -> float:
    """Milliseconds from ``set_result`` to the view painted (the view must be shown)."""
    view.clear()
    QApplication.processEvents()
    t0 = time.perf_counter()
    view.set_result(result, left, right)
    view.repaint()
    return (time.perf_counter() - t0) * 1000


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _med(values: list[float]) -> str:
    return f"{statistics.median(values):6.1f} (max {max(values):6.1f})"


def bench(view: CompareView, name: str, a: str, b: str, runs: int) -> None:
    diff_ms, paint_ms, jump_ms, scroll_ms, toggle_ms, e2e_ms, source_ms = [], [], [], [], [], [], []
    marks_ms: list[float] = []
    watchlist = load_watchlist()
    result = diff_texts(a, b)
    first_paint_ms(view, result)  # warm-up
    for _ in range(runs):
        view.source_action.setChecked(True)  # the reference: Markdown source in a monospaced font
        source_ms.append(first_paint_ms(view, result))
        view.source_action.setChecked(False)
        t0 = time.perf_counter()
        result = diff_texts(a, b)
        diff_ms.append((time.perf_counter() - t0) * 1000)
        paint_ms.append(first_paint_ms(view, result))
        e2e_ms.append(diff_ms[-1] + paint_ms[-1])
        tags = tag_diff(result, watchlist, "en")  # in the app: a worker, after the first paint

        def mark(result=result, tags=tags) -> None:
            view.set_topics(result, tags)
            view.repaint()

        marks_ms.append(_timed(mark))

        def jump() -> None:
            view.go_to_change(view.change_count - 1)
            view.repaint()

        jump_ms.append(_timed(jump))
        bar = view.right.verticalScrollBar()

        def scroll(bar=bar) -> None:
            bar.setValue(0)
            step = max(1, bar.pageStep())
            for value in range(0, bar.maximum() + step, step):
                bar.setValue(value)
                view.repaint()

        scroll_ms.append(_timed(scroll))
        pages = bar.maximum() // max(1, bar.pageStep()) + 1

        def toggles() -> None:
            for action in (view.unified_action, view.unified_action, view.changes_only_action):
                action.trigger()
                view.repaint()
            view.changes_only_action.trigger()

        toggle_ms.append(_timed(toggles) / 4)
    lines = view.left.document().blockCount()
    print(
        f"\n{name}: {len(a) / 1000:.0f}/{len(b) / 1000:.0f} KB, {len(result.rows)} rows, {view.change_count} changes, {lines} view lines"
    )
    print(f"  diff (engine)              {_med(diff_ms)} ms")
    print(f"  first paint after diff     {_med(paint_ms)} ms   target <= 50 (prose)")
    print(
        f"  first paint, source        {_med(source_ms)} ms   prose/source "
        f"{statistics.median(paint_ms) / statistics.median(source_ms):.2f}x"
    )
    marks = len(view.topic_marks(view.left)) + len(view.topic_marks(view.right))
    print(f"  diff + first paint         {_med(e2e_ms)} ms")
    print(f"  topic marks ({marks:3d} words)    {_med(marks_ms)} ms   after the first paint")
    print(f"  jump to last change        {_med(jump_ms)} ms   target <= 35")
    print(
        f"  scroll-through, {pages:3d} pages  {_med(scroll_ms)} ms ({statistics.median(scroll_ms) / pages:.1f} ms/page)"
    )
    print(f"  toggle unified/changes-only {_med(toggle_ms)} ms per toggle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    view = CompareView()
    view.resize(1400, 900)
    view.show()
    app.processEvents()
    print(f"Qt platform {app.platformName()}, window 1400x900, {args.runs} runs; times in ms (median, max)")
    for name, a, b in pairs():
        bench(view, name, a, b, args.runs)
    view.close()


if __name__ == "__main__":
    main()

"""Soak the main window: browse a 500-policy archive for a while and watch the process's memory.

    .venv/bin/python benchmarks/soak.py [--minutes 30] [--policies 500] [--captures 20]
                                        [--archive DIR] [--corpus DIR ...] [--objects] [--seed N]

Builds (once; reused while its size matches) a synthetic archive of ``--policies`` policies with
``--captures`` text captures each, made from the reference extractions (``*.ref.md``) of
../shared/corpus and ../shared/corpus-wide (or ``--corpus``): every capture of a policy is its corpus
text with a few edits of its own (a sentence removed, a number changed, a paragraph added, a full
stop dropped), stored with the archive's own calls as Princeton-Leuven text imports would be.

Then drives the real window offscreen, as a person browsing would: choose a policy, step through its
versions and version pairs, next change, scroll both panes, flip the options (ignore case/whitespace,
changes only, unified, wrap); each step waits until the window has shown its result. Prints the
resident memory (RSS) once a minute, and with ``--objects`` the Python object types whose counts grew.

Target: RSS at the end at most 10% above RSS after the first minute (the caches fill in the first
minute; after that memory must stay flat). Exits 1 when missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
DEFAULT_ARCHIVE = Path(os.environ.get("TMPDIR", "/tmp")) / "policydiff-soak"
GROWTH_LIMIT = 0.10


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux /proc; else the peak from getrusage)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


# --- the synthetic archive -------------------------------------------------------------------------


def corpus_texts(folders: list[Path]) -> list[str]:
    texts = []
    for folder in folders:
        for path in sorted(folder.rglob("*.ref.md")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if len(text) > 2000:
                texts.append(text)
    if not texts:
        raise SystemExit(f"no *.ref.md texts under {', '.join(map(str, folders))}: pass --corpus")
    return texts


def edited(text: str, rng: random.Random, step: int) -> str:
    """``text`` after ``step`` rounds of small edits, as a policy changes over the years."""
    paragraphs = text.split("\n\n")
    for i in range(step):
        kind = rng.randrange(4)
        at = rng.randrange(len(paragraphs))
        if kind == 0:
            paragraphs.insert(
                at, f"Update {i + 1}: we added this paragraph about retention of {rng.randint(2, 99)} months."
            )
        elif kind == 1 and len(paragraphs) > 5:
            del paragraphs[at]
        elif kind == 2:
            paragraphs[at] = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), paragraphs[at], count=1)
        else:
            paragraphs[at] = paragraphs[at].replace(".", "", 1)
    return "\n\n".join(paragraphs)


def build_archive(root: Path, policies: int, captures: int, folders: list[Path], seed: int) -> Any:
    from archiver.extraction import from_markdown
    from archiver.models import Capture, Source
    from archiver.storage import Archive

    arc = Archive.open(root)
    have = arc.stats()
    if have.get("captures", 0) == policies * captures and len(arc.policies()) == policies:
        return arc
    if have.get("captures", 0):
        raise SystemExit(f"{root} holds another archive: remove it or pass another --archive")
    texts = corpus_texts(folders)
    rng = random.Random(seed)
    started = time.perf_counter()
    for p in range(policies):
        base = f"# Vendor {p:03d} privacy policy\n\n" + texts[p % len(texts)]
        policy = arc.ensure_policy(f"https://vendor{p:03d}.example/privacy", f"Vendor {p:03d}")
        for c in range(captures):
            text = edited(base, random.Random(rng.random()), c)
            extraction = from_markdown(text)
            timestamp = f"{2010 + c // 2:04d}{1 + (c % 2) * 6:02d}15120000"
            capture = Capture(
                id=0,
                policy_id=0,
                source=Source.PLLC,
                timestamp=timestamp,
                original_url=policy.url,
                archive="pllc:",
                content_type="text/markdown",
                size=len(text),
                provenance="soak benchmark: synthetic edit of a corpus text",
                flags=("text-only",),
            )
            arc.add_capture(policy, capture, None, extraction)
        if p % 50 == 49:
            print(f"  built {p + 1}/{policies} policies ({time.perf_counter() - started:.0f} s)", flush=True)
    return arc


# --- driving the window ----------------------------------------------------------------------------


class Driver:
    def __init__(self, app: Any, window: Any, rng: random.Random) -> None:
        self.app = app
        self.window = window
        self.rng = rng
        self.steps = Counter[str]()

    def spin(self, until: Any, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        while not until():
            if time.monotonic() > end:
                return False
            self.app.processEvents()
            time.sleep(0.002)
        self.app.processEvents()
        return True

    def idle(self) -> bool:
        from ui.workers import running_tasks

        return not any(t.name in ("diff", "load versions", "load policies") for t in running_tasks())

    def shown(self) -> bool:
        return self.idle() and self.window.compare.isEnabled()

    def choose_policy(self) -> None:
        w = self.window
        row = self.rng.randrange(w.policy_model.rowCount())
        w.policy_view.setCurrentIndex(w.policy_model.index(row))
        self.spin(
            lambda: w.current_policy() is not None and w.current_policy().id == w.policy_model.policy(row).id
        )
        self.spin(lambda: self.idle() and w.version_model.rowCount() > 0)
        self.spin(self.shown)
        self.steps["policy"] += 1

    def version(self) -> None:
        w = self.window
        n = w.version_model.rowCount()
        if n:
            w.version_view.selectRow(self.rng.randrange(n))
            self.spin(self.shown)
            self.steps["version"] += 1

    def pair(self) -> None:
        w = self.window
        n = w.version_model.rowCount()
        if n > 1:
            a, b = sorted(self.rng.sample(range(n), 2))
            w.compare_versions(a, b)
            self.spin(self.shown)
            self.steps["pair"] += 1

    def next_changes(self) -> None:
        for _ in range(self.rng.randint(1, 6)):
            self.window.compare.next_change()
            self.app.processEvents()
        self.steps["next change"] += 1

    def scroll(self) -> None:
        compare = self.window.compare
        for pane in (compare.left, compare.right):
            bar = pane.verticalScrollBar()
            bar.setValue(self.rng.randint(0, max(bar.maximum(), 0)))
        for _ in range(3):
            self.app.processEvents()
        self.steps["scroll"] += 1

    def option(self) -> None:
        compare = self.window.compare
        action = self.rng.choice(
            [
                compare.ignore_case_action,
                compare.ignore_whitespace_action,
                compare.changes_only_action,
                compare.unified_action,
                compare.wrap_action,
            ]
        )
        action.trigger()
        self.spin(self.shown)
        self.steps["option"] += 1

    def step(self) -> None:
        weights = [
            (self.choose_policy, 3),
            (self.version, 4),
            (self.pair, 3),
            (self.next_changes, 3),
            (self.scroll, 3),
            (self.option, 1),
        ]
        self.rng.choices([f for f, _ in weights], [k for _, k in weights])[0]()


def object_counts() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--captures", type=int, default=20)
    parser.add_argument("--archive", type=Path, default=None, help=f"default: {DEFAULT_ARCHIVE}-PxC")
    parser.add_argument("--corpus", type=Path, action="append", help="folders of *.ref.md (repeatable)")
    parser.add_argument(
        "--objects", action="store_true", help="print the object types that grew, each minute"
    )
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    folders = args.corpus or [SHARED / "corpus", SHARED / "corpus-wide"]
    root = args.archive or Path(f"{DEFAULT_ARCHIVE}-{args.policies}x{args.captures}")

    print(f"archive: {root} ({args.policies} policies x {args.captures} captures)", flush=True)
    arc = build_archive(root, args.policies, args.captures, folders, args.seed)

    import tempfile

    from ui.app import make_application
    from ui.mainwindow import MainWindow
    from ui.runtime import settle_gc, tune_malloc
    from ui.settings import Settings

    tune_malloc()  # as ui.app.run does
    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(arc, Settings(Path(tmp) / "soak.ini"))
        window.resize(1400, 900)
        window.show()
        settle_gc()
        driver = Driver(app, window, random.Random(args.seed))
        driver.spin(lambda: window.policy_model.rowCount() == args.policies, 60)
        start = time.monotonic()
        samples = [rss_mb()]
        print(f"minute  0: RSS {samples[0]:7.1f} MB (window up)", flush=True)
        counts = object_counts() if args.objects else Counter[str]()
        minute = 1
        while time.monotonic() - start < args.minutes * 60:
            driver.step()
            if time.monotonic() - start >= minute * 60:
                gc.collect()
                samples.append(rss_mb())
                steps = sum(driver.steps.values())
                blocks = sys.getallocatedblocks() / 1000
                print(
                    f"minute {minute:2d}: RSS {samples[-1]:7.1f} MB  ({steps} steps so far; "
                    f"{blocks:,.0f}k Python memory blocks)",
                    flush=True,
                )
                if args.objects:
                    now = object_counts()
                    grew = (now - counts).most_common(8)
                    print("           grew: " + ", ".join(f"{name} +{n}" for name, n in grew), flush=True)
                    counts = now
                minute += 1
        window.close()
    print("steps: " + ", ".join(f"{k} {v}" for k, v in driver.steps.most_common()))
    if len(samples) < 3:
        print("too short to judge growth (needs at least 2 minutes)")
        return 0
    base, end = samples[1], samples[-1]
    growth = (end - base) / base
    verdict = "ok" if growth <= GROWTH_LIMIT else "MISSED"
    print(
        f"RSS after minute 1: {base:.1f} MB, at the end: {end:.1f} MB, peak {max(samples):.1f} MB: "
        f"growth {growth:+.1%} (target <= {GROWTH_LIMIT:.0%}) {verdict}"
    )
    return 0 if growth <= GROWTH_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())

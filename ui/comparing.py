"""The Compare tab: which two versions are compared, diffing them in the background, and the compare
view (``ui.compare``), built after the window's first paint.

Extension point: anything shown beside a comparison (review notes on paragraphs, which archive each
version came from) connects to ``diffShown`` and reads ``pair()``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from archiver.errors import CancelledError
from archiver.models import Version, baseline

from .cache import DIFF_BUDGET, LRUCache, TextCache
from .context import WindowContext
from .jobs import job_diff
from .models import short_date
from .workers import Task

if TYPE_CHECKING:
    from archiver.diffing import DiffOptions, DiffResult

    from .compare import CompareView

BUSY_DELAY_MS = 150  # a diff still running after this greys the compare view

DiffKey = tuple[str, str, "DiffOptions"]


def diff_size(result: DiffResult) -> int:
    """About what a diff result holds in memory: its two texts, and its rows with their blocks and
    word spans (measured with tracemalloc on policies of the corpus: 0.8-1.4 KB a row)."""
    return sys.getsizeof(result.left_text) + sys.getsizeof(result.right_text) + 1400 * len(result.rows)


def version_title(v: Version) -> str:
    return f"v{v.index + 1} · {short_date(v.timestamp)} · {v.words:,} words"


class ComparePanel(QObject):
    """Signals:
    diffShown(object): a DiffResult was handed to the compare view.
    viewBuilt(object): the CompareView was built (its actions can go into menus now).
    status(str): a line for the status bar.
    """

    diffShown = Signal(object)
    viewBuilt = Signal(object)
    status = Signal(str)

    def __init__(self, ctx: WindowContext, texts: TextCache) -> None:
        super().__init__(ctx.window)
        self._ctx = ctx
        self._texts = texts
        self._versions: list[Version] = []
        self._diff = ctx.latest()
        self.cache: LRUCache[DiffKey, DiffResult] = LRUCache(DIFF_BUDGET, diff_size)
        self.options: DiffOptions | None = None  # set with the compare view (archiver.diffing is lazy)
        self._view: CompareView | None = None
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.view.setEnabled(False))
        self.left_combo = QComboBox()
        self.right_combo = QComboBox()
        for combo in (self.left_combo, self.right_combo):
            combo.setMinimumContentsLength(24)
            combo.setAccessibleName("Older version" if combo is self.left_combo else "Newer version")
            combo.activated.connect(lambda _i: self.compare_chosen())
        swap = QToolButton()
        swap.setText("⇄")
        swap.setToolTip("Swap the two versions")
        swap.clicked.connect(self._swap)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Compare"))
        pick.addWidget(self.left_combo, 1)
        pick.addWidget(swap)
        pick.addWidget(QLabel("with"))
        pick.addWidget(self.right_combo, 1)
        self.page = QWidget()
        self._box = QVBoxLayout(self.page)
        self._box.setContentsMargins(4, 4, 4, 0)
        self._box.addLayout(pick)

    # --- the compare view, built after the first paint -----------------------------------------

    @property
    def built(self) -> bool:
        return self._view is not None

    @property
    def view(self) -> CompareView:
        """The compare view. Importing it and the diff engine costs ~50-100 ms, so the window builds
        it once it has painted (``build``), or at once when something needs it earlier."""
        if self._view is None:
            self.build()
        assert self._view is not None
        return self._view

    def build(self) -> None:
        if self._view is not None:
            return
        from archiver.diffing import DiffOptions

        from .compare import CompareView

        view = CompareView()
        self._view = view
        if self.options is None:
            self.options = DiffOptions()
        view.optionsChanged.connect(self._options_changed)
        view.statsChanged.connect(self.status)
        self._box.addWidget(view, 1)
        self.viewBuilt.emit(view)

    # --- which versions --------------------------------------------------------------------------

    def set_versions(self, versions: list[Version]) -> None:
        """The versions that can be compared (the chosen policy's)."""
        self._versions = versions
        for combo in (self.left_combo, self.right_combo):
            combo.clear()
            for v in versions:
                combo.addItem(version_title(v), v.index)
        if not versions:
            self.drop()
            if self._view is not None:
                self._view.clear()

    def pair(self) -> tuple[Version, Version] | None:
        """The two versions chosen for comparison."""
        left, right = self.left_combo.currentIndex(), self.right_combo.currentIndex()
        if not (0 <= left < len(self._versions) and 0 <= right < len(self._versions)):
            return None
        return self._versions[left], self._versions[right]

    def compare_with_previous(self, version: Version | None) -> None:
        """Compare ``version`` with the previous one holding policy text (error pages and JavaScript
        shells are skipped, see archiver.models.baseline); the first: with itself."""
        if version is None or not 0 <= version.index < len(self._versions):
            return
        left = baseline(self._versions, version.index)
        self.compare_versions(version.index if left is None else left, version.index)

    def compare_chosen(self) -> None:
        self.compare_versions(self.left_combo.currentIndex(), self.right_combo.currentIndex())

    def _swap(self) -> None:
        self.compare_versions(self.right_combo.currentIndex(), self.left_combo.currentIndex())

    # --- diffing ---------------------------------------------------------------------------------

    def compare_versions(self, left: int, right: int) -> Task | None:
        """Diff two versions in the background and hand the result to the compare view (at once when
        the diff is cached)."""
        versions = self._versions
        if not (0 <= left < len(versions) and 0 <= right < len(versions)):
            return None
        self.left_combo.setCurrentIndex(left)
        self.right_combo.setCurrentIndex(right)
        a, b = versions[left], versions[right]
        self.view  # builds it (and the default options) if the window has not painted yet  # noqa: B018
        assert self.options is not None
        titles = (version_title(a), version_title(b))
        key = (a.text_sha256, b.text_sha256, self.options)
        cached = self.cache.get(key)
        if cached is not None:
            self.drop()
            self._show(cached, titles)
            return None
        self.status.emit(f"Comparing {titles[0]} with {titles[1]}…")
        self._busy_timer.start()
        return self._diff.run(
            job_diff(self._ctx.archive, a.text_sha256, b.text_sha256, self.options, self._texts),
            name="diff",
            on_finished=lambda r: self._ready(key, r, titles),
            on_failed=self._failed,
        )

    @property
    def task(self) -> Task | None:
        """The diff being computed, if any."""
        return self._diff.task

    def drop(self) -> None:
        """Forget the diff being computed: its result or error is dropped, the view is no longer busy."""
        self._diff.drop()
        self._busy_timer.stop()
        if self._view is not None:
            self._view.setEnabled(True)

    def clear(self) -> None:
        self.drop()
        self._versions = []
        for combo in (self.left_combo, self.right_combo):
            combo.clear()
        if self._view is not None:
            self._view.clear()

    def _ready(self, key: DiffKey, result: DiffResult, titles: tuple[str, str]) -> None:
        self.cache[key] = result
        self._show(result, titles)

    def _show(self, result: DiffResult, titles: tuple[str, str]) -> None:
        self._busy_timer.stop()
        self.view.setEnabled(True)
        self.view.set_result(result, *titles)
        self.diffShown.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._busy_timer.stop()
        self.view.setEnabled(True)
        if not isinstance(exc, CancelledError):
            self._ctx.failed(exc)

    def _options_changed(self, options: object) -> None:
        from archiver.diffing import DiffOptions

        if isinstance(options, DiffOptions) and options != self.options:
            self.options = options
            self.compare_chosen()

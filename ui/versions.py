"""The versions of the chosen policy: the timeline and the version table, and each version's change
size measured in the background. The timeline plots the change size, or a measure of the versions'
texts that the window hands in (ui.answers measures them).

Extension point: per-version marks (reviewed, corroborated by another archive, its source) go in the
table model and the timeline's points; ``versionChosen`` stays the one way the rest of the window
learns which version to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from PySide6.QtCore import QModelIndex, QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from archiver.models import Flag, Policy, Version, baseline

from .cache import TextCache
from .context import WindowContext
from .jobs import job_change_sizes, job_versions
from .models import VersionTableModel, change_note
from .timeline import Axis, Point, TimelineWidget

SIZES_PROGRESS_FROM = 20  # versions; fewer are measured in well under a second


def source_of(version: Version) -> str:
    """Where the version's first capture came from: the archive's host, else the kind of source."""
    first = version.first
    return urlsplit(first.archive).netloc if first.archive else str(first.source)


class VersionList(QObject):
    """Signals:
    shown(object): the list of Versions of the chosen policy is shown (before one is selected).
    loaded(int): ...and one is selected (their number).
    versionChosen(object): the Version now selected (again when the selected one is chosen again).
    sizesDone(): every version's change size is known.
    status(str): a line for the status bar.
    """

    shown = Signal(object)
    loaded = Signal(int)
    versionChosen = Signal(object)
    sizesDone = Signal()
    status = Signal(str)

    def __init__(self, ctx: WindowContext, texts: TextCache) -> None:
        super().__init__(ctx.window)
        self._ctx = ctx
        self._texts = texts
        self._load = ctx.latest()
        self._sizes = ctx.latest()
        self.timeline = TimelineWidget()
        self.timeline.pointClicked.connect(self.choose)
        self.model = VersionTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        self.view.setAlternatingRowColors(True)
        self.view.setAccessibleName("Versions of the selected policy")
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.view.selectionModel().currentRowChanged.connect(self._selected)
        self.panel = QWidget()
        box = QVBoxLayout(self.panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.timeline)
        box.addWidget(self.view, 1)

    def versions(self) -> list[Version]:
        return self.model.versions()

    def current(self) -> Version | None:
        index = self.view.currentIndex()
        return self.model.version(index.row()) if index.isValid() else None

    def choose(self, index: int) -> None:
        """Select version ``index`` (a click on the timeline, Compare with Previous)."""
        if not 0 <= index < self.model.rowCount():
            return
        if self.view.currentIndex().row() != index:
            self.view.selectRow(index)  # comes back through _selected
        else:
            self.versionChosen.emit(self.model.version(index))

    def plot_measure(self, axis: Axis | None, values: Mapping[int, float | None]) -> None:
        """Plot a measure of each version on the timeline (``values`` by version index, a version
        left out is not measured yet), or the change size again for ``axis`` None."""
        self.timeline.set_measure(axis, values)

    def set_measure_value(self, index: int, value: float | None) -> None:
        """Version ``index``'s value of the measure on the timeline arrived."""
        self.timeline.set_value(index, value)

    def load(self, policy: Policy) -> None:
        """Show ``policy``'s versions; whatever was loading or measuring for another one is dropped."""
        self._sizes.drop()
        self._load.run(
            job_versions(self._ctx.archive, policy.id), name="load versions", on_finished=self._loaded
        )

    def stop(self) -> None:
        """Drop what is loading or measuring (the window closes)."""
        self._load.drop()
        self._sizes.drop()

    def clear(self) -> None:
        self.stop()
        self.model.set_versions([])
        self.timeline.set_points([])

    def _loaded(self, versions: list[Version]) -> None:
        generation = self._load.generation
        self.model.set_versions(versions)
        self.timeline.set_points(
            [
                Point(
                    v.index,
                    v.timestamp,
                    None,
                    change_note(versions, v.index),
                    source_of(v),
                    Flag.ARCHIVES_DISAGREE.value in v.flags,
                )
                for v in versions
            ]
        )
        self.shown.emit(versions)
        if versions:
            # the newest version that holds policy text (an error page or shell is no place to start)
            texts = [v.index for v in versions if v.is_policy_text]
            self.view.selectRow(texts[-1] if texts else len(versions) - 1)
            # selectRow scrolled within the range the table had before the reset: scroll again once
            # the table has laid out its new rows
            QTimer.singleShot(0, self, lambda: self._scroll_to_current(generation))
        else:
            self.versionChosen.emit(None)
            self.status.emit("No versions with text yet: fetch or import captures.")
        self.loaded.emit(len(versions))
        self._measure(versions)

    def _measure(self, versions: list[Version]) -> None:
        pairs = []  # (baseline, version): no change size for an error page or a shell
        for version in versions:
            base = baseline(versions, version.index)
            if base is not None and version.is_policy_text:
                pairs.append((versions[base], version))
        if not pairs:
            self.sizesDone.emit()  # nothing to measure
            return
        task = self._sizes.run(
            job_change_sizes(self._ctx.archive, pairs, self._texts),
            name="change sizes",
            on_progress=self._change_size,
            on_finished=lambda _r: self.sizesDone.emit(),
            on_failed=lambda exc: None,  # the sizes are a hint: the versions are shown without them
        )
        if len(versions) > SIZES_PROGRESS_FROM:  # long enough to show, and to offer a cancel
            self._ctx.progress.add(task, f"Measuring the changes between {len(versions)} versions…")

    def _scroll_to_current(self, generation: int) -> None:
        if self._load.is_current(generation):
            self.view.scrollTo(self.view.currentIndex())

    def _change_size(self, item: object) -> None:
        if isinstance(item, tuple):
            index, words = item
            self.model.set_change(index, words)
            self.timeline.set_change(index, words)

    def _selected(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        version = self.current()
        if version is not None:
            self.timeline.set_selected(version.index)
        self.versionChosen.emit(version)

"""The window's list of tracked policies: its widgets, loading it, and which policy is chosen.

Extension point: the portfolio (names, tags, filters, review marks) belongs here: the list model,
a filter row above the view in ``panel``, and ``policyChosen`` stays the one way the rest of the window
learns which policy to show.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QObject, Signal
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from archiver.models import Policy

from .context import WindowContext
from .jobs import job_policies
from .models import PolicyListModel
from .workers import Task


class PolicyList(QObject):
    """Signals:
    policyChosen(object): the Policy now selected (also when the list reloads and keeps it).
    loaded(int): the list was (re)loaded with this many policies.
    addRequested(): the Add Policy button was clicked.
    """

    policyChosen = Signal(object)
    loaded = Signal(int)
    addRequested = Signal()

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window)
        self._ctx = ctx
        self.model = PolicyListModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAccessibleName("Tracked policies")
        self.view.selectionModel().selectionChanged.connect(self._selected)
        add = QPushButton("Add Policy…")
        add.clicked.connect(self.addRequested)
        self.panel = QWidget()
        box = QVBoxLayout(self.panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel("<b>Policies</b>"))
        box.addWidget(self.view, 1)
        box.addWidget(add)

    def current(self) -> Policy | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.policy(rows[0].row()) if rows else None

    def contains(self, policy_id: int) -> bool:
        return self.model.row_of(policy_id) >= 0

    def reload(self, select: int | None = None) -> Task:
        """Load the archive's policies again and select ``select`` (else the one selected, else the first)."""
        if select is None:
            current = self.current()
            select = current.id if current else None
        archive = self._ctx.archive
        return self._ctx.run(
            job_policies(archive),
            name="load policies",
            # the policies of an archive no longer shown (File → Open Archive) are dropped
            on_finished=lambda ps: self._loaded(ps, select) if archive is self._ctx.archive else None,
        )

    def clear(self) -> None:
        self.model.set_policies([])

    def _loaded(self, policies: list[Policy], select: int | None) -> None:
        current = self.current()
        self.model.set_policies(policies)
        row = self.model.row_of(select) if select is not None else -1
        if row < 0 and policies:
            row = 0
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))
            if current is not None and current.id == self.model.policy(row).id:
                self.policyChosen.emit(self.model.policy(row))  # kept selected: its versions again
        self.loaded.emit(len(policies))

    def _selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        policy = self.current()
        if policy is not None:
            self.policyChosen.emit(policy)

"""The window's list of tracked policies: its widgets, loading it, filtering and sorting it, and
which policy is chosen.

The list shows each policy's name (its own, else the page title, else the host), tags, and how many
of its changes nobody has reviewed (archiver.portfolio). The filter box matches words in the name,
URL, tags and note, and ``tag:NAME`` keeps only a tag; hiding rows of the loaded list is instant
for hundreds of policies, so filtering never goes back to the archive. ``policyChosen`` stays the
one way the rest of the window learns which policy to show.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, QObject, Qt, Signal, SignalInstance
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from archiver.models import Policy
from archiver.portfolio import PolicyInfo

from .context import WindowContext
from .jobs import job_policies
from .models import PolicyListModel
from .workers import Task

SORTS = {"Name": "name", "Last change": "change", "To review": "review"}


def sorted_infos(infos: Sequence[PolicyInfo], how: str) -> list[PolicyInfo]:
    """By name; by last change (newest first, never changed last); or most changes to review first."""
    by_name = sorted(infos, key=lambda i: (i.name.casefold(), i.policy.url))
    if how == "change":
        return sorted(by_name, key=lambda i: i.last_change or "", reverse=True)
    if how == "review":
        return sorted(by_name, key=lambda i: -i.unreviewed)
    return by_name


def matches(info: PolicyInfo, query: str) -> bool:
    """Every word of ``query`` is in the name, URL, tags or note; ``tag:X`` must be one of the tags."""
    haystack = " ".join((info.name, info.policy.url, " ".join(info.tags), info.note)).casefold()
    for word in query.casefold().split():
        if word.startswith("tag:"):
            if word[4:] not in info.tags:
                return False
        elif word not in haystack:
            return False
    return True


class PolicyList(QObject):
    """Signals:
    policyChosen(object): the Policy now selected (also when the list reloads and keeps it).
    loaded(int): the list was (re)loaded with this many policies.
    addRequested(): the Add Policy button was clicked.
    editRequested(object), removeRequested(object): the list's context menu, for this PolicyInfo.
    """

    policyChosen = Signal(object)
    loaded = Signal(int)
    addRequested = Signal()
    editRequested = Signal(object)
    removeRequested = Signal(object)

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window)
        self._ctx = ctx
        self.model = PolicyListModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAccessibleName("Tracked policies")
        self.view.selectionModel().selectionChanged.connect(self._selected)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: words, or tag:NAME")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter the policies")
        self.filter_edit.textChanged.connect(self.apply_filter)
        # the order: a small button with a menu, so the list stays as narrow as it was
        self.sort_button = QToolButton()
        self.sort_button.setText("⇅")
        self.sort_button.setToolTip("Order of the policies")
        self.sort_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.sort_button)
        group = QActionGroup(self)
        self.sort_actions: dict[str, QAction] = {}
        for text, how in SORTS.items():
            action = menu.addAction(f"Sort by {text.lower()}")
            action.setCheckable(True)
            action.setChecked(how == "name")
            action.setData(how)
            group.addAction(action)
            action.triggered.connect(lambda _checked=False: self._resort())
            self.sort_actions[text] = action
        self.sort_button.setMenu(menu)
        self.edit_action = QAction("Name, Tags and Note…", self)
        self.edit_action.triggered.connect(lambda: self._request(self.editRequested))
        self.remove_action = QAction("Remove from the List…", self)
        self.remove_action.triggered.connect(lambda: self._request(self.removeRequested))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.view.addActions([self.edit_action, self.remove_action])
        add = QPushButton("Add Policy…")
        add.clicked.connect(self.addRequested)
        self.panel = QWidget()
        box = QVBoxLayout(self.panel)
        box.setContentsMargins(0, 0, 0, 0)
        title = QHBoxLayout()
        title.addWidget(QLabel("<b>Policies</b>"), 1)
        title.addWidget(self.sort_button)
        box.addLayout(title)
        box.addWidget(self.filter_edit)
        box.addWidget(self.view, 1)
        box.addWidget(add)

    def current(self) -> Policy | None:
        info = self.current_info()
        return info.policy if info else None

    def current_info(self) -> PolicyInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.info(rows[0].row()) if rows else None

    def contains(self, policy_id: int) -> bool:
        return self.model.row_of(policy_id) >= 0

    def visible_rows(self) -> list[int]:
        return [r for r in range(self.model.rowCount()) if not self.view.isRowHidden(r)]

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

    def apply_filter(self, query: str | None = None) -> None:
        """Hide the policies the filter box does not match (the selection stays if it still shows)."""
        query = self.filter_edit.text() if query is None else query
        for row in range(self.model.rowCount()):
            self.view.setRowHidden(row, not matches(self.model.info(row), query))

    def _resort(self) -> None:
        current = self.current()
        self._show(self.model.infos(), current.id if current else None, current)

    def _loaded(self, infos: list[PolicyInfo], select: int | None) -> None:
        self._show(infos, select, self.current())
        self.loaded.emit(len(infos))

    def _show(self, infos: Sequence[PolicyInfo], select: int | None, current: Policy | None) -> None:
        how = next((str(a.data()) for a in self.sort_actions.values() if a.isChecked()), "name")
        self.model.set_policies(sorted_infos(infos, how))
        self.apply_filter()
        row = self.model.row_of(select) if select is not None else -1
        if row < 0 or self.view.isRowHidden(row):
            row = next(iter(self.visible_rows()), -1)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))
            if current is not None and current.id == self.model.policy(row).id:
                self.policyChosen.emit(self.model.policy(row))  # kept selected: its versions again

    def _request(self, signal: SignalInstance) -> None:
        info = self.current_info()
        if info is not None:
            signal.emit(info)

    def _selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        policy = self.current()
        if policy is not None:
            self.policyChosen.emit(policy)

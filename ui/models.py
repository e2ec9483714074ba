"""Qt models: thin read-only adapters over the frozen records of ``archiver.models``.

Each model answers ``ObjectRole`` with the record itself, so views and tests never parse display text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from archiver.models import Capture, Policy, Version, baseline
from archiver.portfolio import PolicyInfo, Review
from archiver.timestamps import display
from archiver.urls import display_url

if TYPE_CHECKING:
    from archiver.history.windows import VersionWindow

ObjectRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
InfoRole = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def short_date(ts: str) -> str:
    return display(ts)[:16] if len(ts) == 14 else ts


def change_note(versions: Sequence[Version], index: int) -> str:
    """Why a version has no change size: "no policy text" (left out of comparisons), "first" (no
    earlier version with policy text), or "" when it has one (see archiver.models.baseline)."""
    if not versions[index].is_policy_text:
        return "no policy text"
    return "first" if baseline(versions, index) is None else ""


class PolicyListModel(QAbstractListModel):
    """The tracked policies (``archiver.portfolio.PolicyInfo``): name, counts, tags and the changes
    still to review. ``ObjectRole`` answers the Policy, ``InfoRole`` the PolicyInfo."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[PolicyInfo] = []

    def set_policies(self, infos: Sequence[PolicyInfo]) -> None:
        self.beginResetModel()
        self._items = list(infos)
        self.endResetModel()

    def policy(self, row: int) -> Policy:
        return self._items[row].policy

    def info(self, row: int) -> PolicyInfo:
        return self._items[row]

    def infos(self) -> list[PolicyInfo]:
        return list(self._items)

    def row_of(self, policy_id: int) -> int:
        return next((i for i, p in enumerate(self._items) if p.policy.id == policy_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        info = self._items[index.row()]
        policy = info.policy
        if role == Qt.ItemDataRole.DisplayRole:
            mark = f"  ● {info.unreviewed} to review" if info.unreviewed else ""
            tags = f" · {', '.join(info.tags)}" if info.tags else ""
            return f"{info.name}{mark}\n{policy.versions} versions · {policy.captures} captures{tags}"
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [display_url(policy.url), f"{policy.captures} captures, {policy.versions} versions"]
            if info.last_change:
                lines.append(f"last change {short_date(info.last_change)} UTC")
            if info.unreviewed:
                lines.append(f"{info.unreviewed} changes not reviewed yet")
            if info.tags:
                lines.append("tags: " + ", ".join(info.tags))
            if info.note:
                lines.append(info.note)
            return "\n".join(lines)
        if role == ObjectRole:
            return policy
        if role == InfoRole:
            return info
        return None


class _TableModel(QAbstractTableModel):
    HEADERS: tuple[str, ...] = ()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.HEADERS):
                return self.HEADERS[section]
        return None

    def _count(self) -> int:
        raise NotImplementedError


class VersionTableModel(_TableModel):
    """Versions of one policy, oldest first; change sizes arrive later from a background diff."""

    HEADERS = ("#", "First seen", "Captures", "Words", "Change", "Changed between", "Flags", "Reviewed")
    COL_CHANGE = 4
    COL_WINDOW = 5
    COL_REVIEW = 7

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Version] = []
        self._changes: dict[int, int] = {}  # version index -> words changed against the previous version
        self._windows: dict[int, VersionWindow] = {}  # version index -> its change window, once known
        self._reviews: dict[str, tuple[Review, ...]] = {}  # version timestamp -> the review log

    def set_versions(self, versions: Sequence[Version]) -> None:
        self.beginResetModel()
        self._items = list(versions)
        self._changes = {}
        self._windows = {}
        self._reviews = {}
        self.endResetModel()

    def set_reviews(self, reviews: dict[str, tuple[Review, ...]]) -> None:
        """Who reviewed each change (archiver.portfolio), by the version's timestamp."""
        self._reviews = dict(reviews)
        if self._items:
            self.dataChanged.emit(
                self.index(0, self.COL_REVIEW), self.index(len(self._items) - 1, self.COL_REVIEW)
            )

    def reviews(self, row: int) -> tuple[Review, ...]:
        return self._reviews.get(self._items[row].timestamp, ()) if 0 <= row < len(self._items) else ()

    def set_windows(self, windows: Sequence[VersionWindow]) -> None:
        """Whether each change window is exact (adjacent captures) or still open."""
        self._windows = dict(enumerate(windows)) if len(windows) == len(self._items) else {}
        if self._items:
            self.dataChanged.emit(
                self.index(0, self.COL_WINDOW), self.index(len(self._items) - 1, self.COL_WINDOW)
            )

    def window(self, row: int) -> VersionWindow | None:
        return self._windows.get(row)

    def set_change(self, row: int, words: int) -> None:
        if 0 <= row < len(self._items):
            self._changes[row] = words
            index = self.index(row, self.COL_CHANGE)
            self.dataChanged.emit(index, index)

    def change(self, row: int) -> int | None:
        return self._changes.get(row)

    def version(self, row: int) -> Version:
        return self._items[row]

    def versions(self) -> list[Version]:
        return list(self._items)

    def _count(self) -> int:
        return len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        row, col = index.row(), index.column()
        v = self._items[row]
        if role == ObjectRole:
            return v
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 2, 3, 4):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return "Words removed + added since the previous version with policy text"
        if role == Qt.ItemDataRole.ToolTipRole and col == 5:
            return window_tip(self._windows.get(row))
        if role == Qt.ItemDataRole.ToolTipRole and col == 2:
            return _variants_tip(v)
        if role == Qt.ItemDataRole.ToolTipRole and col == self.COL_REVIEW:
            return (
                "\n".join(
                    f"{r.reviewer}, {r.reviewed_at}" + (f": {r.note}" if r.note else "")
                    for r in self.reviews(row)
                )
                or None
            )
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col, v)
        return None

    def _display(self, row: int, col: int, v: Version) -> str:
        if col == 0:
            return str(row + 1)
        if col == 1:
            return short_date(v.timestamp)
        if col == 2:
            return str(len(v.captures))
        if col == 3:
            return f"{v.words:,}"
        if col == 4:
            note = change_note(self._items, row)
            if note:
                return note
            n = self._changes.get(row)
            return "…" if n is None else f"{n:,} words"
        if col == 5:
            if v.previous_capture is None:
                return ""
            span = f"{short_date(v.previous_capture.timestamp)} → {short_date(v.timestamp)}"
            w = self._windows.get(row)
            return span if w is None or w.exact is None else f"{span} ({'exact' if w.exact else 'open'})"
        if col == self.COL_REVIEW:
            log = self.reviews(row)
            return f"✓ {log[-1].reviewer}" if log else ""
        return ", ".join(v.flags)


def window_tip(w: VersionWindow | None) -> str:
    tip = "Last capture with the previous text → first capture with this text"
    if w is None or w.exact is None:
        return tip
    if w.exact:
        return tip + ".\nExact: the two captures are adjacent in the archive's listing."
    between = (
        f"{w.unknown:,} captures listed between them are" if w.listed else "the captures between them are"
    )
    return (
        tip + f".\nOpen: {between} not downloaded yet. Narrow this window (right-click) to find the "
        "two adjacent captures."
    )


def _variants_tip(v: Version) -> str:
    """The URLs this version was captured under (http/https, www., … variants are one policy)."""
    urls = list(dict.fromkeys(display_url(c.original_url) for c in v.captures))
    if len(urls) == 1:
        return f"Captured as {urls[0]}"
    return f"Captured under {len(urls)} URL variants:\n" + "\n".join(urls)


class CaptureTableModel(_TableModel):
    """The raw captures of one version (or of a whole policy), with their provenance."""

    HEADERS = ("Captured", "Archive", "Status", "Size", "SHA-256", "Retrieved", "Flags")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Capture] = []

    def set_captures(self, captures: Sequence[Capture]) -> None:
        self.beginResetModel()
        self._items = list(captures)
        self.endResetModel()

    def capture(self, row: int) -> Capture:
        return self._items[row]

    def _count(self) -> int:
        return len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        c = self._items[index.row()]
        col = index.column()
        if role == ObjectRole:
            return c
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (2, 3):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return c.memento_url or c.provenance or None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if col == 0:
            return short_date(c.timestamp)
        if col == 1:
            return c.archive or c.source.value
        if col == 2:
            return "" if c.http_status is None else str(c.http_status)
        if col == 3:
            return f"{c.size:,}"
        if col == 4:
            return (c.sha256 or "")[:16]
        if col == 5:
            return c.retrieved_at
        return ", ".join(c.flags)

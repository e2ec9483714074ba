"""The list of changes: a thin list model over the hunks of a DiffResult."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from archiver.diffing import DiffResult, DiffRow, RowKind

from .layout import Hunk

_LABELS = {
    RowKind.INSERT: "Added",
    RowKind.DELETE: "Removed",
    RowKind.REPLACE: "Changed",
    RowKind.MOVE: "Moved",
}
_SWATCH = {  # the hues of the panes' highlights (panes.py)
    RowKind.INSERT: "#2ea043",
    RowKind.DELETE: "#cf222e",
    RowKind.REPLACE: "#d4a72c",
    RowKind.MOVE: "#8250df",
    RowKind.EQUAL: "#808080",
}
_SNIPPET = 70
_TOOLTIP = 600


def _snippet(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ChangeListModel(QAbstractListModel):
    """One item per change (a run of consecutive changed rows of one kind).

    ``RowRole`` gives the first :class:`DiffRow` of the change, ``RowsRole`` all of them, ``RowIndexRole``
    the index of the first row in ``DiffResult.rows``. Display text and tooltips are plain text built
    from the archived text (the tooltip is escaped, so Qt never interprets it as rich text).
    """

    RowRole = Qt.ItemDataRole.UserRole + 1
    RowsRole = Qt.ItemDataRole.UserRole + 2
    RowIndexRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[DiffRow, ...] = ()
        self._hunks: list[Hunk] = []
        self._partners: dict[int, int] = {}

    def set_changes(self, result: DiffResult | None, hunks: list[Hunk]) -> None:
        self.beginResetModel()
        self._rows = result.rows if result is not None else ()
        self._hunks = list(hunks) if result is not None else []
        self._partners = _move_partners(self._rows, self._hunks)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._hunks)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if not index.isValid() or index.row() >= len(self._hunks) or index.column() != 0:
            return None
        hunk = self._hunks[index.row()]
        rows = self._rows[hunk.first : hunk.last + 1]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._label(index.row(), hunk, rows)
        if role == Qt.ItemDataRole.DecorationRole:
            return QColor(_SWATCH[hunk.kind])
        if role == Qt.ItemDataRole.ToolTipRole:
            text = "\n\n".join(_block_text(r) for r in rows)
            if len(text) > _TOOLTIP:
                text = text[:_TOOLTIP] + "…"
            return f"<p style='white-space:pre-wrap'>{escape(text)}</p>"
        if role == self.RowRole:
            return rows[0]
        if role == self.RowsRole:
            return rows
        if role == self.RowIndexRole:
            return hunk.first
        return None

    def partner(self, row: int) -> int | None:
        """For a move: the change holding the other half of its first block."""
        return self._partners.get(row)

    def _label(self, index: int, hunk: Hunk, rows: tuple[DiffRow, ...]) -> str:
        label = _LABELS.get(hunk.kind, "Changed")
        if hunk.kind is RowKind.MOVE:
            label = "Moved away" if rows[0].left is not None else "Moved here"
            partner = self._partners.get(index)
            if partner is not None:
                label += f" ({'to' if rows[0].left is not None else 'from'} change {partner + 1})"
        n = len(rows)
        count = f" ({n} blocks)" if n > 1 else ""
        return f"{index + 1}. {label}{count}: {_snippet(_block_text(rows[0]), _SNIPPET)}"


def _block_text(row: DiffRow) -> str:
    block = row.right if row.right is not None else row.left
    return block.body if block is not None else ""


def _move_partners(rows: tuple[DiffRow, ...], hunks: list[Hunk]) -> dict[int, int]:
    """Change index -> the change holding the other half of the move of its first row."""
    where: dict[int, list[int]] = {}
    for k, hunk in enumerate(hunks):
        if hunk.kind is RowKind.MOVE:
            for r in range(hunk.first, hunk.last + 1):
                move_id = rows[r].move_id
                if move_id is not None:
                    where.setdefault(move_id, []).append(k)
    partners: dict[int, int] = {}
    for k, hunk in enumerate(hunks):
        move_id = rows[hunk.first].move_id if hunk.kind is RowKind.MOVE else None
        if move_id is not None:
            other = [h for h in where.get(move_id, ()) if h != k]
            if other:
                partners[k] = other[0]
    return partners


def stats_text(result: DiffResult | None, changes: int) -> str:
    """One line for a status bar."""
    if result is None:
        return ""
    s = result.stats
    if result.same:
        return f"No differences · {s.left_words} words"
    moved = f" · {s.moved_blocks} moved" if s.moved_blocks else ""
    return (
        f"{changes} change{'s' if changes != 1 else ''} ({s.changed_rows} blocks) · "
        f"+{s.words_added} −{s.words_removed} words ({s.words_changed} replaced){moved} · "
        f"{s.changed_ratio:.1%} of words changed"
    )

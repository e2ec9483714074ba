"""The list of changes: a thin list model over the hunks of a DiffResult."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from archiver.diffing import DiffResult, DiffRow, RowKind

from .layout import Hunk

_LABELS = {
    RowKind.INSERT: "Added",
    RowKind.DELETE: "Removed",
    RowKind.REPLACE: "Changed",
    RowKind.MOVE: "Moved",
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

    RowRole = Qt.UserRole + 1
    RowsRole = Qt.UserRole + 2
    RowIndexRole = Qt.UserRole + 3

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: tuple[DiffRow, ...] = ()
        self._hunks: list[Hunk] = []

    def set_changes(self, result: DiffResult | None, hunks: list[Hunk]) -> None:
        self.beginResetModel()
        self._rows = result.rows if result is not None else ()
        self._hunks = list(hunks) if result is not None else []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._hunks)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid() or index.row() >= len(self._hunks) or index.column() != 0:
            return None
        hunk = self._hunks[index.row()]
        rows = self._rows[hunk.first : hunk.last + 1]
        if role == Qt.DisplayRole:
            return self._label(hunk, rows)
        if role == Qt.ToolTipRole:
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

    def _label(self, hunk: Hunk, rows: tuple[DiffRow, ...]) -> str:
        label = _LABELS.get(hunk.kind, "Changed")
        if hunk.kind is RowKind.MOVE:
            label = "Moved from here" if rows[0].left is not None else "Moved here"
        n = len(rows)
        count = f" ({n} blocks)" if n > 1 else ""
        return f"{label}{count}: {_snippet(_block_text(rows[0]), _SNIPPET)}"


def _block_text(row: DiffRow) -> str:
    block = row.right if row.right is not None else row.left
    return block.body if block is not None else ""

"""Pure helpers for the views: a changes-only row list and the row -> line positions map."""

from __future__ import annotations

from .model import DiffResult, DiffRow, RowKind, RowLines, Skipped


def changes_only(result: DiffResult, context: int = 3) -> tuple[DiffRow | Skipped, ...]:
    """The rows with ``context`` unchanged rows around each change; runs of hidden rows become one
    :class:`Skipped` marker (a run of a single row is shown rather than collapsed)."""
    if context < 0:
        raise ValueError("context must be >= 0")
    rows = result.rows
    n = len(rows)
    show = [False] * n
    for k in result.change_indices():
        for m in range(max(0, k - context), min(n, k + context + 1)):
            show[m] = True
    out: list[DiffRow | Skipped] = []
    k = 0
    while k < n:
        if show[k]:
            out.append(rows[k])
            k += 1
            continue
        stop = k
        while stop < n and not show[stop]:
            stop += 1
        if stop - k == 1:
            out.append(rows[k])
        else:
            hidden = rows[k:stop]
            out.append(
                Skipped(
                    k,
                    stop,
                    sum(r.left.lines for r in hidden if r.left is not None),
                    sum(r.right.lines for r in hidden if r.right is not None),
                )
            )
        k = stop
    return tuple(out)


def line_map(result: DiffResult) -> tuple[RowLines, ...]:
    """For each row: its source lines on each side and its place in a padded, jointly scrolled view.

    A side without a block in the row has ``count == 0`` and ``start`` where the block would be.
    """
    out: list[RowLines] = []
    left_line = right_line = view = 0
    for k, row in enumerate(result.rows):
        lc = row.left.lines if row.left is not None else 0
        rc = row.right.lines if row.right is not None else 0
        height = max(lc, rc)
        out.append(RowLines(k, left_line, lc, right_line, rc, view, height))
        left_line += lc
        right_line += rc
        view += height
    return tuple(out)


def chunk_line_map(result: DiffResult) -> tuple[tuple[RowKind, int, int, int, int], ...]:
    """Meld-style chunks for a link map between two unpadded panes: consecutive rows of one kind
    (except ``EQUAL``) merged into ``(kind, left_start, left_end, right_start, right_end)`` line ranges."""
    chunks: list[tuple[RowKind, int, int, int, int]] = []
    for rl in line_map(result):
        kind = result.rows[rl.row].kind
        if kind is RowKind.EQUAL:
            continue
        le, re_ = rl.left_start + rl.left_count, rl.right_start + rl.right_count
        if (
            chunks
            and chunks[-1][0] is kind
            and chunks[-1][2] == rl.left_start
            and chunks[-1][4] == rl.right_start
        ):
            prev = chunks[-1]
            chunks[-1] = (kind, prev[1], le, prev[3], re_)
        else:
            chunks.append((kind, rl.left_start, le, rl.right_start, re_))
    return tuple(chunks)


def follow_blocks(result: DiffResult) -> dict[int, tuple[int | None, bool]]:
    """Where each left block went: its right block's index (None when deleted) and whether it came
    through unchanged. A moved block follows its move; a block of a split or merge group maps to the
    group's first right block, as changed."""
    out: dict[int, tuple[int | None, bool]] = {}
    moved_to: dict[int, DiffRow] = {}
    group_right: dict[int, int] = {}
    for row in result.rows:
        if row.kind is RowKind.MOVE and row.right is not None and row.move_id is not None:
            moved_to[row.move_id] = row
        if row.group_id is not None and row.right is not None:
            group_right.setdefault(row.group_id, row.right.index)
    for row in result.rows:
        if row.left is None:
            continue
        if row.kind is RowKind.MOVE and row.move_id is not None:
            other = moved_to.get(row.move_id)
            right = other.right.index if other is not None and other.right is not None else None
            out[row.left.index] = (right, not row.left_spans and not (other and other.right_spans))
        elif row.kind is RowKind.DELETE:
            out[row.left.index] = (None, False)
        elif row.right is not None:
            out[row.left.index] = (row.right.index, row.kind is RowKind.EQUAL)
        else:  # the extra left block of a merge group
            out[row.left.index] = (group_right.get(row.group_id or -1), False)
    return out

"""``diff_texts``: blocks, alignment, rows and statistics for two texts."""

from __future__ import annotations

from itertools import repeat

from .align import Alignment, Group, align
from .blocks import split_blocks
from .model import Block, DiffOptions, DiffResult, DiffRow, DiffStats, RowKind, new_row
from .words import TokenCodec, count_words, touched_words

_DEFAULT_OPTIONS = DiffOptions()


def diff_texts(left: str, right: str, options: DiffOptions = _DEFAULT_OPTIONS) -> DiffResult:
    """Compare two extracted policy texts (Markdown) block by block, then word by word.

    The result is symmetric: ``diff_texts(b, a)`` is the mirror of ``diff_texts(a, b)`` (the alignment
    is computed on the pair in a fixed order, so ties in the alignment are broken the same way).
    """
    lblocks, rblocks = split_blocks(left), split_blocks(right)
    codec = TokenCodec(options)
    if left <= right:
        alignment = align(lblocks, rblocks, options, codec)
    else:
        alignment = align(rblocks, lblocks, options, codec).mirrored()
    rows = _rows(lblocks, rblocks, alignment)
    stats = _stats(rows, lblocks, rblocks, codec.normalises, alignment.equal, left)
    return DiffResult(rows, stats, left, right, options)


def _rows(lblocks: tuple[Block, ...], rblocks: tuple[Block, ...], al: Alignment) -> tuple[DiffRow, ...]:
    move_left = {i: (j, d) for i, j, d in al.move}
    move_right = {j: (i, d) for i, j, d in al.move}
    move_ids: dict[tuple[int, int], int] = {}

    def move_id(i: int, j: int) -> int:
        return move_ids.setdefault((i, j), len(move_ids) + 1)

    rows: list[DiffRow] = []
    append = rows.append
    li = ri = 0

    def flush(upto_left: int, upto_right: int) -> None:
        for i in range(li, upto_left):
            mv = move_left.get(i)
            if mv is None:
                append(new_row(RowKind.DELETE, lblocks[i], None))
            else:
                j, d = mv
                append(new_row(RowKind.MOVE, lblocks[i], None, d.left_spans, (), move_id(i, j), d.similarity))
        for j in range(ri, upto_right):
            mv = move_right.get(j)
            if mv is None:
                append(new_row(RowKind.INSERT, None, rblocks[j]))
            else:
                i, d = mv
                append(
                    new_row(RowKind.MOVE, None, rblocks[j], (), d.right_spans, move_id(i, j), d.similarity)
                )

    group_ids = 0

    def add_group(g: Group) -> None:
        nonlocal li, ri, group_ids
        if g.lefts[0] != li or g.rights[0] != ri:
            flush(g.lefts[0], g.rights[0])
        group_id = None
        if len(g.lefts) > 1 or len(g.rights) > 1:
            group_ids += 1
            group_id = group_ids
        for k in range(max(len(g.lefts), len(g.rights))):
            lb = lblocks[g.lefts[k]] if k < len(g.lefts) else None
            rb = rblocks[g.rights[k]] if k < len(g.rights) else None
            ls = g.left_spans[k] if k < len(g.lefts) else ()
            rs = g.right_spans[k] if k < len(g.rights) else ()
            append(new_row(RowKind.REPLACE, lb, rb, ls, rs, None, g.similarity, group_id))
        li, ri = g.lefts[-1] + 1, g.rights[-1] + 1

    # Equal runs and groups are each in order on both sides: merge them by left index.
    equal_kind = RowKind.EQUAL
    groups = al.groups
    after_last = len(lblocks)
    gk = 0
    next_group = groups[0].lefts[0] if groups else after_last
    for i, j, n in al.equal:
        while next_group < i:
            add_group(groups[gk])
            gk += 1
            next_group = groups[gk].lefts[0] if gk < len(groups) else after_last
        if i != li or j != ri:
            flush(i, j)
        rows.extend(map(new_row, repeat(equal_kind, n), lblocks[i : i + n], rblocks[j : j + n]))
        li, ri = i + n, j + n
    for g in groups[gk:]:
        add_group(g)
    flush(len(lblocks), len(rblocks))
    return tuple(rows)


def _stats(
    rows: tuple[DiffRow, ...],
    lblocks: tuple[Block, ...],
    rblocks: tuple[Block, ...],
    normalised: bool,
    equal_runs: tuple[tuple[int, int, int], ...],
    left_text: str,
) -> DiffStats:
    added = removed = changed = 0
    equal = RowKind.EQUAL
    changed_list = [row for row in rows if row.kind is not equal]
    halves: dict[int, list[int]] = {}  # move id -> words marked in each half of a moved block
    for row in changed_list:
        kind = row.kind
        if kind is RowKind.DELETE:
            assert row.left is not None
            removed += count_words(row.left.text)
        elif kind is RowKind.INSERT:
            assert row.right is not None
            added += count_words(row.right.text)
        else:
            r = touched_words(row.left.text, row.left_spans) if row.left is not None else 0
            a = touched_words(row.right.text, row.right_spans) if row.right is not None else 0
            removed += r
            added += a
            if kind is RowKind.REPLACE:
                changed += min(r, a)
            elif row.move_id is not None:
                halves.setdefault(row.move_id, []).append(r if row.left is not None else a)
    # a moved and edited block: its substitutions are the smaller side of its two halves
    changed += sum(min(v) for v in halves.values() if len(v) == 2)
    # Words per side: blocks end in whitespace (all but the last), so a text's words are the sum of
    # its blocks' words, and those of blocks with the same words in a row are counted once for both
    # (equal rows, unless the options make different texts equal; a run of equal blocks is one
    # stretch of the source text).
    if not normalised:
        same = [left_text[lblocks[i].start : lblocks[i + n - 1].end] for i, _, n in equal_runs]
        lonly = [row.left.text for row in changed_list if row.left is not None]
        ronly = [row.right.text for row in changed_list if row.right is not None]
    else:
        same, lonly, ronly = [], [], []
        for row in rows:
            lb, rb = row.left, row.right
            if lb is not None and rb is not None and (lb is rb or lb.text == rb.text):
                same.append(lb.text)
                continue
            if lb is not None:
                lonly.append(lb.text)
            if rb is not None:
                ronly.append(rb.text)
    shared = count_words(" ".join(same))
    lw, rw = shared + count_words(" ".join(lonly)), shared + count_words(" ".join(ronly))
    total = lw + rw
    return DiffStats(
        words_added=added,
        words_removed=removed,
        words_changed=changed,
        changed_ratio=(added + removed) / total if total else 0.0,
        moved_blocks=len(halves),
        left_words=lw,
        right_words=rw,
        left_blocks=len(lblocks),
        right_blocks=len(rblocks),
        changed_rows=len(changed_list),
    )

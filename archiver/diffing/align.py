"""Block alignment: exact matches, then similar blocks (including splits and merges), then moves.

1. Exact: every distinct block key found on both sides becomes one character and
   fast-diff-match-patch (no time limit, no cleanup, so a minimal diff: a longest common
   subsequence) aligns the two key strings (keys on one side only cannot match and are left out, so
   an edit in place costs little). Matched blocks are ``EQUAL``; the runs between matches are *gaps*.
2. Moves of identical blocks: a block left unmatched on both sides (another position, or reordered
   inside a gap) is a move, if it has at least :data:`.matching.MOVE_MIN_WORDS` words.
3. Similar blocks inside each gap: a gap of one block per side is one comparison; otherwise the
   blocks are first walked in order (edits in place, a few blocks inserted or deleted). When that
   fails (or leaves blocks of the smaller side of a small gap unpaired), small gaps compare every
   pair and large ones (rewrites) go through an inverted index of rarer words, so a rewrite costs
   a few candidates per block, not every pair.
   Cheap bounds (word characters in common, word pairs in common) come before the word diff, whose
   cost grows with tokens times differences. The heaviest in-order set of pairs at or above
   ``options.similarity`` becomes ``REPLACE`` pairs.
4. Splits and merges: a pair grows over the unmatched blocks next to it when their text is found in
   the other side of the pair (a paragraph split in two, two list items joined); the grown group gets
   one word diff, so text that only crossed a block boundary is not marked as changed.
5. Moves of edited blocks: blocks still unmatched that are :data:`MOVE_SIMILARITY` alike across gaps
   (or out of order inside one) are moves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import chain, compress

import fast_diff_match_patch as fdmp

from ..sametext import as_spaces
from .matching import Matcher, common_chars, heaviest_in_order
from .model import Block, DiffOptions, Span, SpanKind
from .words import WORD, TokenCodec, WordDiff, trimmed_diff

#: Minimum similarity of an edited block found at another position to be reported as a move.
MOVE_SIMILARITY = 0.6
#: Gaps with at most this many (left x right) pairs compare every pair instead of using the index.
SMALL_GAP_PAIRS = 64
#: Largest number of blocks (both sides) a split/merge group may have.
MAX_GROUP_BLOCKS = 12


@dataclass(frozen=True, slots=True)
class Group:
    """Consecutive left blocks aligned with consecutive right blocks (usually one and one)."""

    lefts: tuple[int, ...]
    rights: tuple[int, ...]
    left_spans: tuple[tuple[Span, ...], ...]  # per left block, offsets into that block
    right_spans: tuple[tuple[Span, ...], ...]
    similarity: float

    def mirrored(self) -> Group:
        return Group(
            self.rights,
            self.lefts,
            tuple(_flip(s, SpanKind.DELETE) for s in self.right_spans),
            tuple(_flip(s, SpanKind.INSERT) for s in self.left_spans),
            self.similarity,
        )


@dataclass(frozen=True, slots=True)
class Alignment:
    """Which left block goes with which right block (indices into the two block tuples)."""

    equal: tuple[tuple[int, int, int], ...]  # runs (left, right, length) of equal blocks, in order
    groups: tuple[Group, ...]  # in order on both sides, inside gaps
    move: tuple[tuple[int, int, WordDiff], ...]  # anywhere

    def mirrored(self) -> Alignment:
        """The alignment of the swapped pair (right, left)."""
        return Alignment(
            tuple([(j, i, n) for i, j, n in self.equal]),
            tuple([g.mirrored() for g in self.groups]),
            tuple([(j, i, _mirror(d)) for i, j, d in self.move]),
        )


def _flip(spans: tuple[Span, ...], kind: SpanKind) -> tuple[Span, ...]:
    return tuple(Span(s.start, s.end, kind) for s in spans)


def _mirror(d: WordDiff) -> WordDiff:
    return WordDiff(_flip(d.right_spans, SpanKind.DELETE), _flip(d.left_spans, SpanKind.INSERT), d.similarity)


def _char(n: int) -> str:
    n += 0x100
    return chr(n + 0x800 if n >= 0xD800 else n)


def _chars(n: int) -> map[str]:
    """``_char(0)``, ..., ``_char(n - 1)``."""
    return map(chr, chain(range(0x100, min(0x100 + n, 0xD800)), range(0xE000, 0xE000 + max(0, n - 0xD700))))


def align(
    left: tuple[Block, ...], right: tuple[Block, ...], options: DiffOptions, codec: TokenCodec
) -> Alignment:
    normalise = options.ignore_case or options.ignore_whitespace or options.ignore_punctuation
    if normalise:
        lkeys = [codec.key(b.text.rstrip()) for b in left]
        rkeys = [codec.key(b.text.rstrip()) for b in right]
    else:
        lkeys = [as_spaces(b.text.rstrip()) for b in left]  # a no-break space is a space
        rkeys = [as_spaces(b.text.rstrip()) for b in right]
    equal, gaps = _exact(lkeys, rkeys)
    if not gaps:
        return Alignment(tuple(equal), (), ())
    return _Aligner(left, right, lkeys, rkeys, options, codec).run(equal, gaps)


class _Aligner(Matcher):
    """One alignment: the steps after exact matching, on top of the similarity search."""

    def __init__(
        self,
        left: tuple[Block, ...],
        right: tuple[Block, ...],
        lkeys: list[str],
        rkeys: list[str],
        options: DiffOptions,
        codec: TokenCodec,
    ) -> None:
        super().__init__(left, right, options, codec)
        self.keys = (lkeys, rkeys)

    # --- the steps ---------------------------------------------------------------------------

    def run(self, equal: list[tuple[int, int, int]], gaps: list[tuple[int, int, int, int]]) -> Alignment:
        options = self.options
        free_left = {i for l0, l1, _, _ in gaps for i in range(l0, l1)}
        free_right = {j for _, _, r0, r1 in gaps for j in range(r0, r1)}
        moves: list[tuple[int, int, WordDiff]] = []

        # 2. identical blocks at another position
        if options.detect_moves:
            lkeys, rkeys = self.keys
            by_key: dict[str, list[int]] = defaultdict(list)
            for i in sorted(free_left):
                by_key[lkeys[i]].append(i)
            for j in sorted(free_right):
                same = by_key.get(rkeys[j])
                if same and self.movable(1, j):
                    i = same.pop(0)
                    moves.append((i, j, WordDiff((), (), 1.0)))
                    free_left.discard(i)
                    free_right.discard(j)

        # 3 and 4. similar blocks in order inside each gap, grown over splits and merges
        groups: list[Group] = []
        for l0, l1, r0, r1 in gaps:
            lefts = [i for i in range(l0, l1) if i in free_left]
            rights = [j for j in range(r0, r1) if j in free_right]
            if not lefts or not rights:
                continue
            if len(lefts) == 1 and len(rights) == 1 and l1 - l0 == 1 and r1 - r0 == 1:
                # one block edited in place (the most common gap): what walk and grow would give
                d = self.similar(l0, r0)
                if d is not None:
                    groups.append(Group((l0,), (r0,), (d.left_spans,), (d.right_spans,), d.similarity))
                    free_left.discard(l0)
                    free_right.discard(r0)
                continue
            small = len(lefts) * len(rights) <= SMALL_GAP_PAIRS
            # Most likely edits in place, walked in order. If that pairs neither all blocks of the
            # smaller side nor as many blocks on both sides, a small gap compares every pair;
            # a large one asks the word index.
            pairs = self.walk(lefts, rights)
            if (
                small
                and pairs is not None
                and len(lefts) != len(rights)
                and len(pairs) < min(len(lefts), len(rights))
            ):
                pairs = None
            if pairs is None:
                if small:
                    cands = self.pairwise(lefts, rights)
                else:
                    cands = self.indexed(lefts, rights)
                pairs = heaviest_in_order(cands)
            for g in self.grow(pairs, (l0, l1, r0, r1), free_left, free_right):
                groups.append(g)
                free_left.difference_update(g.lefts)
                free_right.difference_update(g.rights)

        # 5. edited blocks at another position
        if options.detect_moves and free_left and free_right:
            lefts = sorted(i for i in free_left if self.movable(0, i))
            rights = sorted(j for j in free_right if self.movable(1, j))
            self.threshold = max(self.threshold, MOVE_SIMILARITY)  # the filters may be stricter now
            cands = self.indexed(lefts, rights) if lefts and rights else []
            for i, j, d in sorted(cands, key=lambda c: (-c[2].similarity, c[0], c[1])):
                if i in free_left and j in free_right and d.similarity >= MOVE_SIMILARITY:
                    moves.append((i, j, d))
                    free_left.discard(i)
                    free_right.discard(j)
        moves.sort(key=lambda m: (m[0], m[1]))
        groups.sort(key=lambda g: g.lefts[0])
        return Alignment(tuple(equal), tuple(groups), tuple(moves))

    # --- splits and merges -------------------------------------------------------------------

    def group(self, lefts: list[int], rights: list[int]) -> tuple[Group, int]:
        """One word diff over consecutive blocks on each side; returns the group and its marked chars."""
        left, right = self.blocks
        if len(lefts) == 1 and len(rights) == 1:
            d = trimmed_diff(self.codec, left[lefts[0]].text.rstrip(), right[rights[0]].text.rstrip())
            g = Group((lefts[0],), (rights[0],), (d.left_spans,), (d.right_spans,), d.similarity)
            return g, _marked(d.left_spans) + _marked(d.right_spans)
        ltext = "".join(left[i].text for i in lefts).rstrip()
        rtext = "".join(right[j].text for j in rights).rstrip()
        d = trimmed_diff(self.codec, ltext, rtext)
        lspans = _distribute(d.left_spans, [left[i] for i in lefts])
        rspans = _distribute(d.right_spans, [right[j] for j in rights])
        marked = sum(_marked(s) for s in lspans) + sum(_marked(s) for s in rspans)
        return Group(tuple(lefts), tuple(rights), lspans, rspans, d.similarity), marked

    def grow(
        self,
        pairs: list[tuple[int, int, WordDiff]],
        gap: tuple[int, int, int, int],
        free_left: set[int],
        free_right: set[int],
    ) -> list[Group]:
        """Groups for the in-order pairs of one gap, each grown over neighbouring unmatched blocks
        whose text the other side of the pair holds; and a group for a stretch between pairs whose
        blocks are alike only taken together."""
        l0, l1, r0, r1 = gap
        out: list[Group] = []
        lo_l, lo_r = l0, r0  # first index not yet taken by a group, per side
        bounds = [(i, j) for i, j, _ in pairs] + [(l1, r1)]
        for k, (i, j, d) in enumerate(pairs):
            hi_l, hi_r = bounds[k + 1]
            self.stretch_group(out, lo_l, i, lo_r, j, free_left, free_right)
            ls, rs = [i], [j]
            g = Group((i,), (j,), (d.left_spans,), (d.right_spans,), d.similarity)
            marked = _marked(d.left_spans) + _marked(d.right_spans)
            if d.left_spans or d.right_spans:
                lo = (lo_l, lo_r)
                if out:
                    lo = (max(lo_l, out[-1].lefts[-1] + 1), max(lo_r, out[-1].rights[-1] + 1))
                g, marked = self.extend(g, marked, ls, rs, lo, (hi_l, hi_r), free_left, free_right)
            out.append(g)
            lo_l, lo_r = g.lefts[-1] + 1, g.rights[-1] + 1
        self.stretch_group(out, lo_l, l1, lo_r, r1, free_left, free_right)
        return self.join_neighbours(out)

    def join_neighbours(self, groups: list[Group]) -> list[Group]:
        """Join two adjacent groups when words marked as gone from one are marked as new in the
        other (a line or sentence that crossed the boundary between two paired blocks)."""
        left, right = self.blocks
        out: list[Group] = []
        for g in groups:
            prev = out[-1] if out else None
            if (
                prev is None
                or prev.lefts[-1] + 1 != g.lefts[0]
                or prev.rights[-1] + 1 != g.rights[0]
                or len(prev.lefts) + len(prev.rights) + len(g.lefts) + len(g.rights) > MAX_GROUP_BLOCKS
                or not _crossed(prev, g, left, right)
            ):
                out.append(g)
                continue
            before = _group_marked(prev) + _group_marked(g)
            joined, marked = self.group([*prev.lefts, *g.lefts], [*prev.rights, *g.rights])
            if marked < before:
                out[-1] = joined
            else:
                out.append(g)
        return out

    def extend(
        self,
        g: Group,
        marked: int,
        ls: list[int],
        rs: list[int],
        lo: tuple[int, int],
        hi: tuple[int, int],
        free_left: set[int],
        free_right: set[int],
    ) -> tuple[Group, int]:
        left, right = self.blocks
        free = (free_left, free_right)
        grown = True
        while grown and len(ls) + len(rs) < MAX_GROUP_BLOCKS:
            grown = False
            for side, idx in ((0, ls[-1] + 1), (1, rs[-1] + 1), (0, ls[0] - 1), (1, rs[0] - 1)):
                if not (lo[side] <= idx < hi[side]) or idx not in free[side]:
                    continue
                # cheap test first: does the other side's marked text hold this block's words?
                other_spans = g.right_spans if side == 0 else g.left_spans
                other_blocks = [right[j] for j in rs] if side == 0 else [left[i] for i in ls]
                held = " ".join(
                    b.text[s.start : s.end]
                    for b, spans in zip(other_blocks, other_spans, strict=True)
                    for s in spans
                )
                _, count, size = self.words(side, idx)
                if not size or common_chars(count, Counter(WORD.findall(held.casefold()))) * 2 < size:
                    continue
                nls = sorted([*ls, idx]) if side == 0 else ls
                nrs = sorted([*rs, idx]) if side == 1 else rs
                ng, nmarked = self.group(nls, nrs)
                body = len((left if side == 0 else right)[idx].body)
                if nmarked < marked + body * 0.5:
                    g, marked, ls, rs = ng, nmarked, nls, nrs
                    grown = True
                    break
        return g, marked

    def stretch_group(
        self,
        out: list[Group],
        l_from: int,
        l_to: int,
        r_from: int,
        r_to: int,
        free_left: set[int],
        free_right: set[int],
    ) -> None:
        """Between two groups: unmatched blocks on both sides that are alike only taken together
        (a paragraph re-cut into different pieces) become one group."""
        if out:
            l_from = max(l_from, out[-1].lefts[-1] + 1)
            r_from = max(r_from, out[-1].rights[-1] + 1)
        ls = [i for i in range(l_from, l_to) if i in free_left]
        rs = [j for j in range(r_from, r_to) if j in free_right]
        if not ls or not rs or len(ls) + len(rs) > MAX_GROUP_BLOCKS or len(ls) + len(rs) == 2:
            return
        # only consecutive runs form a group
        if ls != list(range(ls[0], ls[-1] + 1)) or rs != list(range(rs[0], rs[-1] + 1)):
            return
        lsize = sum(self.words(0, i)[2] for i in ls)
        rsize = sum(self.words(1, j)[2] for j in rs)
        if not lsize or not rsize or 2 * min(lsize, rsize) < self.threshold * (lsize + rsize):
            return
        g, _ = self.group(ls, rs)
        if g.similarity >= self.threshold:
            out.append(g)


def _group_marked(g: Group) -> int:
    return sum(_marked(s) for s in g.left_spans) + sum(_marked(s) for s in g.right_spans)


def _marked_words(
    blocks: tuple[Block, ...], indices: tuple[int, ...], spans: tuple[tuple[Span, ...], ...]
) -> Counter[str]:
    text = " ".join(blocks[i].text[s.start : s.end] for i, ss in zip(indices, spans, strict=True) for s in ss)
    return Counter(WORD.findall(text.casefold()))


def _crossed(a: Group, b: Group, left: tuple[Block, ...], right: tuple[Block, ...]) -> bool:
    """Whether at least half the words marked on one side of ``a`` are marked on the other side
    of ``b``, or the other way round."""
    for gone, new in (
        (_marked_words(left, a.lefts, a.left_spans), _marked_words(right, b.rights, b.right_spans)),
        (_marked_words(left, b.lefts, b.left_spans), _marked_words(right, a.rights, a.right_spans)),
    ):
        size = sum(len(w) * c for w, c in gone.items())
        if size and 2 * common_chars(gone, new) >= size:
            return True
    return False


def _marked(spans: tuple[Span, ...]) -> int:
    return sum(s.end - s.start for s in spans)


def _distribute(spans: tuple[Span, ...], blocks: list[Block]) -> tuple[tuple[Span, ...], ...]:
    """Cut spans over the concatenated texts of ``blocks`` into per-block spans inside their bodies."""
    out: list[tuple[Span, ...]] = []
    offset = 0
    k = 0
    for block in blocks:
        body_end = offset + len(block.body)
        mine: list[Span] = []
        while k < len(spans) and spans[k].start < body_end:
            s = spans[k]
            start, end = max(s.start, offset), min(s.end, body_end)
            if start < end:
                mine.append(Span(start - offset, end - offset, s.kind))
            if s.end <= body_end:
                k += 1
            else:
                break
        # skip spans that lie only in the separator after this block
        next_offset = offset + len(block.text)
        while k < len(spans) and spans[k].end <= next_offset:
            k += 1
        out.append(tuple(mine))
        offset = next_offset
    return tuple(out)


def _exact(
    lkeys: list[str], rkeys: list[str]
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int, int]]]:
    """Runs of matched blocks ``(left, right, length)`` (a longest common subsequence of keys) and the
    gaps between them.

    Keys found on one side only can never match, so they are left out before the diff: for an
    edit in place that leaves two nearly equal key strings, whose diff is quick (Myers' algorithm
    costs length times differences), and the common subsequence is as long as over all keys.
    """
    n, m = len(lkeys), len(rkeys)
    pre = 0
    while pre < n and pre < m and lkeys[pre] == rkeys[pre]:
        pre += 1
    suf = 0
    while suf < n - pre and suf < m - pre and lkeys[n - 1 - suf] == rkeys[m - 1 - suf]:
        suf += 1
    equal = [(0, 0, pre)] if pre else []
    gaps: list[tuple[int, int, int, int]] = []
    lmid, rmid = lkeys[pre : n - suf], rkeys[pre : m - suf]
    i, j = pre, pre  # the first index after the last match, per side
    if lmid and rmid:
        lset, rset = set(lmid), set(rmid)
        lkeep = list(compress(range(pre, n - suf), map(rset.__contains__, lmid)))
        rkeep = list(compress(range(pre, m - suf), map(lset.__contains__, rmid)))
        if lkeep and rkeep:
            # (kept right keys are all left keys: codes for the left keys do)
            codes = dict(zip(lset, _chars(len(lset)), strict=True))
            a = "".join(map(codes.__getitem__, map(lkeys.__getitem__, lkeep)))
            b = "".join(map(codes.__getitem__, map(rkeys.__getitem__, rkeep)))
            x = y = 0  # positions in a and b
            for op, count in fdmp.diff(a, b, timelimit=0, cleanup="No", counts_only=True):
                if op == "=":
                    for lo, hi in _unbroken(lkeep, rkeep, x, y, count):
                        li, rj = lkeep[lo], rkeep[lo - x + y]
                        if li != i or rj != j:
                            gaps.append((i, li, j, rj))
                        equal.append((li, rj, hi - lo))
                        i, j = li + hi - lo, rj + hi - lo
                    x += count
                    y += count
                elif op == "-":
                    x += count
                else:
                    y += count
    if i < n - suf or j < m - suf:
        gaps.append((i, n - suf, j, m - suf))
    if suf:
        equal.append((n - suf, m - suf, suf))
    return equal, gaps


def _unbroken(lkeep: list[int], rkeep: list[int], x: int, y: int, count: int) -> list[tuple[int, int]]:
    """``lkeep[x : x + count]`` matched to ``rkeep[y : y + count]`` cut into runs ``[lo, hi)`` (over
    ``lkeep``) that are consecutive indices on both sides, found by halving (few cuts, long runs)."""
    out: list[tuple[int, int]] = []
    stack = [(x, x + count)]
    d = y - x
    while stack:
        lo, hi = stack.pop()
        if lkeep[hi - 1] - lkeep[lo] == hi - 1 - lo and rkeep[hi - 1 + d] - rkeep[lo + d] == hi - 1 - lo:
            if (
                out
                and lkeep[lo] == lkeep[out[-1][1] - 1] + 1
                and rkeep[lo + d] == rkeep[out[-1][1] - 1 + d] + 1
            ):
                out[-1] = (out[-1][0], hi)
            else:
                out.append((lo, hi))
        else:
            mid = (lo + hi) // 2
            stack.append((mid, hi))
            stack.append((lo, mid))
    return out

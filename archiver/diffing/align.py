"""Block alignment: exact matches, then similar blocks (including splits and merges), then moves.

1. Exact: every distinct block key becomes one character and fast-diff-match-patch (no time limit,
   no cleanup, so a minimal diff: a longest common subsequence) aligns the two key strings. Matched
   blocks are ``EQUAL``; the runs between matches are *gaps*.
2. Moves of identical blocks: a block left unmatched on both sides (another position, or reordered
   inside a gap) is a move, if it has at least :data:`MOVE_MIN_WORDS` words.
3. Similar blocks inside each gap: small gaps compare every pair; large ones (rewrites) go through an
   inverted index of rarer words, so a rewrite costs a few candidates per block, not every pair.
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

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import fast_diff_match_patch as fdmp

from .model import Block, DiffOptions, Span, SpanKind
from .words import WORD, Encoded, TokenCodec, WordDiff, count_words, trim_points, trimmed_diff, word_diff

#: A block needs this many words to be reported as moved (``* * *`` or ``| --- |`` are not moves).
MOVE_MIN_WORDS = 2
#: Minimum similarity of an edited block found at another position to be reported as a move.
MOVE_SIMILARITY = 0.6
#: Candidates per block that get a real word diff.
MAX_CANDIDATES = 6
#: Blocks with this many words on both sides must also share word pairs to be compared.
LONG_BLOCK_WORDS = 12
#: Gaps with at most this many (left x right) pairs compare every pair instead of using the index.
SMALL_GAP_PAIRS = 64
#: How far (blocks skipped on both sides together) the in-place walk looks for the next pair.
WALK_WINDOW = 3
#: Blocks longer than this (characters, both sides) pair whenever they share anything.
HUGE_BLOCK_CHARS = 20_000
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

    equal: tuple[tuple[int, int], ...]  # in order on both sides
    groups: tuple[Group, ...]  # in order on both sides, inside gaps
    move: tuple[tuple[int, int, WordDiff], ...]  # anywhere

    def mirrored(self) -> Alignment:
        """The alignment of the swapped pair (right, left)."""
        return Alignment(
            tuple((j, i) for i, j in self.equal),
            tuple(g.mirrored() for g in self.groups),
            tuple((j, i, _mirror(d)) for i, j, d in self.move),
        )


def _flip(spans: tuple[Span, ...], kind: SpanKind) -> tuple[Span, ...]:
    return tuple(Span(s.start, s.end, kind) for s in spans)


def _mirror(d: WordDiff) -> WordDiff:
    return WordDiff(_flip(d.right_spans, SpanKind.DELETE), _flip(d.left_spans, SpanKind.INSERT), d.similarity)


def _char(n: int) -> str:
    n += 0x100
    return chr(n + 0x800 if n >= 0xD800 else n)


def align(
    left: tuple[Block, ...], right: tuple[Block, ...], options: DiffOptions, codec: TokenCodec
) -> Alignment:
    normalise = options.ignore_case or options.ignore_whitespace or options.ignore_punctuation
    if normalise:
        lkeys = [codec.key(b.text.rstrip()) for b in left]
        rkeys = [codec.key(b.text.rstrip()) for b in right]
    else:
        lkeys = [b.text.rstrip() for b in left]
        rkeys = [b.text.rstrip() for b in right]
    equal, gaps = _exact(lkeys, rkeys)
    if not gaps:
        return Alignment(tuple(equal), (), ())
    return _Aligner(left, right, lkeys, rkeys, options, codec).run(equal, gaps)


class _Aligner:
    """The state of one alignment (caches of encodings and word counts); lives for one call."""

    def __init__(
        self,
        left: tuple[Block, ...],
        right: tuple[Block, ...],
        lkeys: list[str],
        rkeys: list[str],
        options: DiffOptions,
        codec: TokenCodec,
    ) -> None:
        self.blocks = (left, right)
        self.keys = (lkeys, rkeys)
        self.options = options
        self.codec = codec
        self.threshold = options.similarity
        self._encoded: dict[tuple[int, int], Encoded] = {}
        self._words: dict[tuple[int, int], tuple[list[str], Counter[str], int]] = {}
        self._diffs: dict[tuple[str, str], WordDiff] = {}

    # --- per-block features ------------------------------------------------------------------

    def enc(self, side: int, idx: int) -> Encoded:
        e = self._encoded.get((side, idx))
        if e is None:
            e = self._encoded[(side, idx)] = self.codec.encode(self.blocks[side][idx].text.rstrip())
        return e

    def words(self, side: int, idx: int) -> tuple[list[str], Counter[str], int]:
        """Casefolded words, their counts and their total length (for the cheap bounds)."""
        w = self._words.get((side, idx))
        if w is None:
            lst = WORD.findall(self.blocks[side][idx].text.casefold())
            w = self._words[(side, idx)] = (lst, Counter(lst), sum(map(len, lst)))
        return w

    def cached(self, lb: str, rb: str, compute: Callable[[], WordDiff]) -> WordDiff:
        """Word diffs by block text: repeated blocks (table rows, boilerplate) are diffed once."""
        d = self._diffs.get((lb, rb))
        if d is None:
            d = self._diffs[(lb, rb)] = compute()
        return d

    def full_diff(self, i: int, j: int) -> WordDiff:
        lb, rb = self.blocks[0][i].text.rstrip(), self.blocks[1][j].text.rstrip()
        return self.cached(lb, rb, lambda: word_diff(self.enc(0, i), self.enc(1, j)))

    def movable(self, side: int, idx: int) -> bool:
        return count_words(self.blocks[side][idx].text) >= MOVE_MIN_WORDS

    # --- the steps ---------------------------------------------------------------------------

    def run(self, equal: list[tuple[int, int]], gaps: list[tuple[int, int, int, int]]) -> Alignment:
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
            small = len(lefts) * len(rights) <= SMALL_GAP_PAIRS
            # As many blocks on both sides: most likely edits in place, walked in order. Otherwise
            # a small gap compares every pair and a large one asks the word index.
            pairs = self.walk(lefts, rights) if len(lefts) == len(rights) or not small else None
            if pairs is None:
                if small:
                    cands = self.pairwise(lefts, rights)
                else:
                    cands = self.indexed(lefts, rights)
                pairs = _heaviest_in_order(cands)
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

    # --- candidates --------------------------------------------------------------------------

    def bound(self, i: int, j: int) -> float:
        """Word characters in common, ignoring order: an upper bound of the similarity."""
        _, lcount, lsize = self.words(0, i)
        _, rcount, rsize = self.words(1, j)
        total = lsize + rsize
        if not total or 2 * min(lsize, rsize) < self.threshold * total:
            return 0.0
        return 2.0 * _common_chars(lcount, rcount) / total

    def ordered_enough(self, i: int, j: int) -> bool:
        """Long blocks on one subject share words; edited versions also share word pairs."""
        lw = self.words(0, i)[0]
        rw = self.words(1, j)[0]
        if len(lw) < LONG_BLOCK_WORDS or len(rw) < LONG_BLOCK_WORDS:
            return True
        lb = set(zip(lw, lw[1:], strict=False))
        rb = set(zip(rw, rw[1:], strict=False))
        return 2.0 * len(lb & rb) / (len(lb) + len(rb)) >= self.threshold * 0.6

    def similar(self, i: int, j: int, bound_first: bool = False) -> WordDiff | None:
        """The word diff of two blocks if they are at least ``options.similarity`` alike.
        ``bound_first`` when most pairs asked about are unlike (the bound rejects them cheaply)."""
        if bound_first and self.bound(i, j) < self.threshold:
            return None
        left, right = self.blocks
        lb, rb = left[i].text.rstrip(), right[j].text.rstrip()
        total = len(lb) + len(rb)
        if min(len(lb), len(rb)) > HUGE_BLOCK_CHARS:
            # A text without paragraph breaks: as one row each it would show nothing; compare it
            # by sentences (see words._token_ops) and keep whatever it shares.
            d = self.cached(lb, rb, lambda: trimmed_diff(self.codec, lb, rb))
            return d if d.similarity >= 0.05 else None
        if 2 * min(len(lb), len(rb)) < self.threshold * total * 0.8:
            return None
        cuts = trim_points(lb, rb)
        if 2 * (cuts[0] + cuts[1]) >= self.threshold * total:
            # mostly shared text (an edit in place): diff only the part in between
            d = self.cached(lb, rb, lambda: trimmed_diff(self.codec, lb, rb, cuts))
        elif self.bound(i, j) < self.threshold or not self.ordered_enough(i, j):
            return None
        else:
            d = self.full_diff(i, j)
        return d if d.similarity >= self.threshold else None

    def walk(self, lefts: list[int], rights: list[int]) -> list[tuple[int, int, WordDiff]] | None:
        """The common case of edits in place: walk both sides in order, pairing each block with its
        counterpart and stepping over a few inserted or deleted blocks. None when a step finds no
        similar pair nearby (a rewrite): then the gap gets the full search."""
        out: list[tuple[int, int, WordDiff]] = []
        a = b = skipped = 0
        n, m = len(lefts), len(rights)
        while a < n and b < m:
            found = None
            for dist in range(WALK_WINDOW + 1):
                for da in range(dist + 1):
                    db = dist - da
                    if a + da < n and b + db < m:
                        d = self.similar(lefts[a + da], rights[b + db])
                        if d is not None:
                            found = (da, db, d)
                            break
                if found:
                    break
            if found is None:
                # nothing alike nearby: both blocks stay unpaired, unless that keeps happening
                skipped += 1
                if skipped > max(2, min(n, m) // 2):
                    return None
                a += 1
                b += 1
                continue
            da, db, d = found
            out.append((lefts[a + da], rights[b + db], d))
            a += da + 1
            b += db + 1
        return out

    def pairwise(self, lefts: list[int], rights: list[int]) -> list[tuple[int, int, WordDiff]]:
        out = []
        for i in lefts:
            for j in rights:
                d = self.similar(i, j, bound_first=True)
                if d is not None:
                    out.append((i, j, d))
        return out

    def indexed(self, lefts: list[int], rights: list[int]) -> list[tuple[int, int, WordDiff]]:
        """Like :meth:`pairwise` for many blocks: only pairs that share rarer words are looked at."""
        index: dict[str, list[int]] = defaultdict(list)
        for i in lefts:
            for w in self.words(0, i)[1]:
                index[w].append(i)
        # Words in many blocks say little and cost much: leave them out of the lookup.
        cap = max(8, len(lefts) // 10)
        out: list[tuple[int, int, WordDiff]] = []
        for j in rights:
            rcount = self.words(1, j)[1]
            if not rcount:
                continue
            hits: dict[int, int] = defaultdict(int)
            for w in rcount:
                postings = index.get(w)
                if postings is not None and len(postings) <= cap:
                    for i in postings:
                        hits[i] += 1
            if not hits:  # only common words: fall back to the blocks that share the most of them
                for w in rcount:
                    for i in index.get(w, ()):
                        hits[i] += 1
            scored = []
            for i in sorted(hits, key=lambda i: (-hits[i], i))[: MAX_CANDIDATES * 2]:
                b = self.bound(i, j)
                if b >= self.threshold and self.ordered_enough(i, j):
                    scored.append((b, i))
            scored.sort(key=lambda s: (-s[0], s[1]))
            for _b, i in scored[:MAX_CANDIDATES]:
                d = self.full_diff(i, j)
                if d.similarity >= self.threshold:
                    out.append((i, j, d))
        return out

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
                if not size or _common_chars(count, Counter(WORD.findall(held.casefold()))) * 2 < size:
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


def _common_chars(a: Counter[str], b: Counter[str]) -> int:
    """Characters of the words two blocks have in common, counted as often as both have them."""
    return sum([len(w) * min(a[w], b[w]) for w in a.keys() & b.keys()])


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
        if size and 2 * _common_chars(gone, new) >= size:
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
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int]]]:
    """Matched index pairs (a longest common subsequence of keys) and the gaps between them."""
    n, m = len(lkeys), len(rkeys)
    pre = 0
    while pre < n and pre < m and lkeys[pre] == rkeys[pre]:
        pre += 1
    suf = 0
    while suf < n - pre and suf < m - pre and lkeys[n - 1 - suf] == rkeys[m - 1 - suf]:
        suf += 1
    equal = [(k, k) for k in range(pre)]
    gaps: list[tuple[int, int, int, int]] = []
    lmid, rmid = lkeys[pre : n - suf], rkeys[pre : m - suf]
    if lmid or rmid:
        codes = {k: _char(n) for n, k in enumerate(dict.fromkeys(lmid + rmid))}
        a = "".join(map(codes.__getitem__, lmid))
        b = "".join(map(codes.__getitem__, rmid))
        ops = fdmp.diff(a, b, timelimit=0, cleanup="No", counts_only=True) if a and b else []
        if not ops:
            ops = [("-", len(a))] * bool(a) + [("+", len(b))] * bool(b)
        i = j = pre
        gap_start: tuple[int, int] | None = None
        for op, count in ops:
            if op == "=":
                if gap_start is not None:
                    gaps.append((gap_start[0], i, gap_start[1], j))
                    gap_start = None
                equal.extend((i + k, j + k) for k in range(count))
                i += count
                j += count
            else:
                if gap_start is None:
                    gap_start = (i, j)
                if op == "-":
                    i += count
                else:
                    j += count
        if gap_start is not None:
            gaps.append((gap_start[0], i, gap_start[1], j))
    equal.extend((n - suf + k, m - suf + k) for k in range(suf))
    return equal, gaps


def _heaviest_in_order(cands: list[tuple[int, int, WordDiff]]) -> list[tuple[int, int, WordDiff]]:
    """The subset of candidate pairs increasing on both sides with the largest total similarity."""
    if len(cands) <= 1:
        return cands
    # Sort by left asc, right desc, so pairs sharing a left index can never chain.
    order = sorted(cands, key=lambda c: (c[0], -c[1]))
    rights = sorted({c[1] for c in order})
    size = len(rights)
    tree = [0.0] * (size + 1)  # Fenwick tree of (best total ending at right rank <= k)
    tree_at = [-1] * (size + 1)
    best: list[float] = []
    prev: list[int] = []

    def query(k: int) -> tuple[float, int]:
        total, at = 0.0, -1
        while k > 0:
            if tree[k] > total:
                total, at = tree[k], tree_at[k]
            k -= k & -k
        return total, at

    def update(k: int, value: float, at: int) -> None:
        while k <= size:
            if value > tree[k]:
                tree[k], tree_at[k] = value, at
            k += k & -k

    for n, (_i, j, d) in enumerate(order):
        rank = bisect_left(rights, j)  # ranks 1..size; query ranks strictly below j
        total, at = query(rank)
        best.append(total + d.similarity)
        prev.append(at)
        update(rank + 1, best[-1], n)
    n = max(range(len(order)), key=lambda k: best[k])
    chain = []
    while n != -1:
        chain.append(order[n])
        n = prev[n]
    chain.reverse()
    return chain

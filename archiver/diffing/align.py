"""Block alignment: exact matches, then similar blocks, then moves.

1. Exact: every distinct block key becomes one character and fast-diff-match-patch (no time limit,
   no cleanup, so a minimal diff: a longest common subsequence) aligns the two key strings. Matched
   blocks are ``EQUAL``; the runs between matches are *gaps*.
2. Moves of identical blocks: a block left unmatched on both sides (another position, or reordered
   inside a gap) is a move, if it has at least :data:`MOVE_MIN_WORDS` words.
3. Similar blocks: unmatched blocks are compared through an inverted index of their rarer words
   (so a rewrite costs a few candidates per block, not every pair); the few candidates that pass a
   word-set filter get a real word diff, and those at or above ``options.similarity`` are kept. Inside
   each gap, the heaviest in-order set of candidates becomes ``REPLACE`` pairs; candidates left over
   across gaps (or out of order) become moves if they are at least :data:`MOVE_SIMILARITY` alike.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import fast_diff_match_patch as fdmp

from .model import Block, DiffOptions, Span, SpanKind
from .words import WORD, Encoded, TokenCodec, WordDiff, count_words, word_diff

#: A block needs this many words to be reported as moved (``* * *`` or ``| --- |`` are not moves).
MOVE_MIN_WORDS = 2
#: Minimum similarity of an edited block found at another position to be reported as a move.
MOVE_SIMILARITY = 0.6
#: Candidates per block that get a real word diff.
MAX_CANDIDATES = 6
#: Blocks with this many words on both sides must also share word pairs to be compared.
LONG_BLOCK_WORDS = 12


@dataclass(frozen=True, slots=True)
class Alignment:
    """Which left block goes with which right block (indices into the two block tuples)."""

    equal: tuple[tuple[int, int], ...]  # in order on both sides
    replace: tuple[tuple[int, int, WordDiff], ...]  # in order on both sides, inside gaps
    move: tuple[tuple[int, int, WordDiff], ...]  # anywhere

    def mirrored(self) -> Alignment:
        """The alignment of the swapped pair (right, left)."""
        return Alignment(
            tuple((j, i) for i, j in self.equal),
            tuple((j, i, _mirror(d)) for i, j, d in self.replace),
            tuple((j, i, _mirror(d)) for i, j, d in self.move),
        )


def _mirror(d: WordDiff) -> WordDiff:
    def flip(spans: tuple[Span, ...], kind: SpanKind) -> tuple[Span, ...]:
        return tuple(Span(s.start, s.end, kind) for s in spans)

    return WordDiff(flip(d.right_spans, SpanKind.DELETE), flip(d.left_spans, SpanKind.INSERT), d.similarity)


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

    gap_of_left: dict[int, int] = {}
    gap_of_right: dict[int, int] = {}
    for g, (l0, l1, r0, r1) in enumerate(gaps):
        for i in range(l0, l1):
            gap_of_left[i] = g
        for j in range(r0, r1):
            gap_of_right[j] = g

    encoded: dict[tuple[int, int], Encoded] = {}

    def enc(side: int, idx: int) -> Encoded:
        e = encoded.get((side, idx))
        if e is None:
            block = left[idx] if side == 0 else right[idx]
            e = codec.encode(block.text.rstrip())
            encoded[(side, idx)] = e
        return e

    moves: list[tuple[int, int, WordDiff]] = []
    free_left = set(gap_of_left)
    free_right = set(gap_of_right)

    # 2. identical blocks at another position
    if options.detect_moves:
        by_key: dict[str, list[int]] = defaultdict(list)
        for i in sorted(free_left):
            by_key[lkeys[i]].append(i)
        for j in sorted(free_right):
            cands = by_key.get(rkeys[j])
            if cands and count_words(right[j].text) >= MOVE_MIN_WORDS:
                i = cands.pop(0)
                moves.append((i, j, WordDiff((), (), 1.0)))
                free_left.discard(i)
                free_right.discard(j)

    # 3. similar blocks
    candidates = _similar_candidates(left, right, sorted(free_left), sorted(free_right), options, enc)
    in_gap: dict[int, list[tuple[int, int, WordDiff]]] = defaultdict(list)
    for i, j, d in candidates:
        if gap_of_left[i] == gap_of_right[j]:
            in_gap[gap_of_left[i]].append((i, j, d))
    replace: list[tuple[int, int, WordDiff]] = []
    for g in sorted(in_gap):
        for i, j, d in _heaviest_in_order(in_gap[g]):
            replace.append((i, j, d))
            free_left.discard(i)
            free_right.discard(j)
    if options.detect_moves:
        for i, j, d in sorted(candidates, key=lambda c: (-c[2].similarity, c[0], c[1])):
            if (
                i in free_left
                and j in free_right
                and d.similarity >= MOVE_SIMILARITY
                and count_words(left[i].text) >= MOVE_MIN_WORDS
                and count_words(right[j].text) >= MOVE_MIN_WORDS
            ):
                moves.append((i, j, d))
                free_left.discard(i)
                free_right.discard(j)
    moves.sort(key=lambda m: (m[0], m[1]))
    return Alignment(tuple(equal), tuple(replace), tuple(moves))


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
        codes: dict[str, str] = {}
        a = "".join([codes.setdefault(k, _char(len(codes))) for k in lmid])
        b = "".join([codes.setdefault(k, _char(len(codes))) for k in rmid])
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


def _similar_candidates(
    left: tuple[Block, ...],
    right: tuple[Block, ...],
    free_left: list[int],
    free_right: list[int],
    options: DiffOptions,
    encode: Callable[[int, int], Encoded],
) -> list[tuple[int, int, WordDiff]]:
    """Pairs (left, right, word diff) of unmatched blocks that are at least ``options.similarity`` alike.

    Cheap filters first: blocks sharing rarer words (inverted index), then the share of distinct
    words in common, and for long blocks the share of word pairs (bigrams) in common, which tells an
    edited paragraph from an unrelated one on the same subject. Only the survivors get a word diff,
    whose cost grows with tokens times differences.
    """
    if not free_left or not free_right:
        return []
    lwords = {i: WORD.findall(left[i].text.casefold()) for i in free_left}
    lcounts = {i: Counter(w) for i, w in lwords.items()}
    lsizes = {i: sum(map(len, w)) for i, w in lwords.items()}
    index: dict[str, list[int]] = defaultdict(list)
    for i in free_left:
        for w in lcounts[i]:
            index[w].append(i)
    lbigrams: dict[int, frozenset[tuple[str, str]]] = {}
    # Words in many blocks say little and cost much: leave them out of the index lookup.
    cap = max(8, len(free_left) // 10)
    threshold = options.similarity
    out: list[tuple[int, int, WordDiff]] = []
    for j in free_right:
        rlist = WORD.findall(right[j].text.casefold())
        if not rlist:
            continue
        rcount = Counter(rlist)
        rsize = sum(map(len, rlist))
        hits: dict[int, int] = defaultdict(int)
        for w in rcount:
            postings = index.get(w)
            if postings is not None and len(postings) <= cap:
                for i in postings:
                    hits[i] += 1
        if not hits:
            # only common words: fall back to the blocks that share the most of them
            for w in rcount:
                for i in index.get(w, ()):
                    hits[i] += 1
        best = sorted(hits, key=lambda i: (-hits[i], i))[: MAX_CANDIDATES * 2]
        scored = []
        rbigrams: frozenset[tuple[str, str]] | None = None
        for i in best:
            lsize = lsizes[i]
            total = lsize + rsize
            if 2 * min(lsize, rsize) < threshold * total:
                continue
            # Word characters in common, ignoring order: an upper bound of the similarity.
            lcount = lcounts[i]
            small, large = (lcount, rcount) if len(lcount) <= len(rcount) else (rcount, lcount)
            common = 0
            for w, c in small.items():
                other = large.get(w)
                if other:
                    common += len(w) * (c if c < other else other)
            bound = 2.0 * common / total
            if bound < threshold:
                continue
            if len(rlist) >= LONG_BLOCK_WORDS and len(lwords[i]) >= LONG_BLOCK_WORDS:
                # Long blocks on one subject share words; edited versions also share word pairs.
                if rbigrams is None:
                    rbigrams = frozenset(zip(rlist, rlist[1:], strict=False))
                lb = lbigrams.get(i)
                if lb is None:
                    lb = lbigrams[i] = frozenset(zip(lwords[i], lwords[i][1:], strict=False))
                if 2.0 * len(lb & rbigrams) / (len(lb) + len(rbigrams)) < threshold * 0.6:
                    continue
            scored.append((bound, i))
        if not scored:
            continue
        scored.sort(key=lambda s: (-s[0], s[1]))
        renc = encode(1, j)
        for _bound, i in scored[:MAX_CANDIDATES]:
            d = word_diff(encode(0, i), renc)
            if d.similarity >= threshold:
                out.append((i, j, d))
    return out


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

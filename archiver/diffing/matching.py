"""Finding similar blocks: cheap bounds first, then word diffs; in order, pairwise or by index.

Used by :mod:`archiver.diffing.align` for the blocks that exact matching left over. The word diff of
two blocks costs tokens times differences (Myers' algorithm), so every search here first rejects
pairs with cheap tests: lengths, word characters in common (a bound of the similarity), word pairs
in common (for long blocks), or the common beginning and end of the two texts.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable

from .model import Block, DiffOptions
from .words import WORD, Encoded, TokenCodec, WordDiff, count_words, trim_points, trimmed_diff, word_diff

#: A block needs this many words to be reported as moved (``* * *`` or ``| --- |`` are not moves).
MOVE_MIN_WORDS = 2
#: Candidates per block that get a real word diff.
MAX_CANDIDATES = 6
#: Blocks with this many words on both sides must also share word pairs to be compared.
LONG_BLOCK_WORDS = 12
#: How far (blocks skipped on both sides together) the in-place walk looks for the next pair.
WALK_WINDOW = 3
#: Blocks longer than this (characters, both sides) pair whenever they share anything.
HUGE_BLOCK_CHARS = 20_000


class Matcher:
    """Finds similar blocks between two block lists, with the caches of one alignment (encodings,
    word counts, word diffs by text); lives for one call."""

    def __init__(
        self,
        left: tuple[Block, ...],
        right: tuple[Block, ...],
        options: DiffOptions,
        codec: TokenCodec,
    ) -> None:
        self.blocks = (left, right)
        self.options = options
        self.codec = codec
        self.threshold = options.similarity
        self._encoded: dict[str, Encoded] = {}  # by block text: repeated blocks are done once
        self._words: dict[str, tuple[list[str], Counter[str], int]] = {}
        self._diffs: dict[tuple[str, str], WordDiff] = {}
        self._similar: dict[tuple[str, str, float], WordDiff | None] = {}

    # --- per-block features ------------------------------------------------------------------

    def enc(self, side: int, idx: int) -> Encoded:
        text = self.blocks[side][idx].text
        e = self._encoded.get(text)
        if e is None:
            e = self._encoded[text] = self.codec.encode(text.rstrip())
        return e

    def words(self, side: int, idx: int) -> tuple[list[str], Counter[str], int]:
        """Casefolded words, their counts and their total length (for the cheap bounds)."""
        text = self.blocks[side][idx].text
        w = self._words.get(text)
        if w is None:
            lst = WORD.findall(text.casefold())
            w = self._words[text] = (lst, Counter(lst), sum(map(len, lst)))
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

    # --- similar pairs --------------------------------------------------------------------------

    def bound(self, i: int, j: int) -> float:
        """Word characters in common, ignoring order: an upper bound of the similarity."""
        _, lcount, lsize = self.words(0, i)
        _, rcount, rsize = self.words(1, j)
        total = lsize + rsize
        if not total or 2 * min(lsize, rsize) < self.threshold * total:
            return 0.0
        return 2.0 * common_chars(lcount, rcount) / total

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
        ``bound_first`` when most pairs asked about are unlike (the bound rejects them cheaply).
        Answers are kept per pair of texts: a walk that gives up is followed by a pairwise search
        of the same gap, and repeated blocks (table rows, boilerplate) are compared once."""
        if bound_first and self.bound(i, j) < self.threshold:
            return None
        key = (self.blocks[0][i].text, self.blocks[1][j].text, self.threshold)
        memo = self._similar
        if key in memo:
            return memo[key]
        d = memo[key] = self._similar_pair(i, j)
        return d

    def _similar_pair(self, i: int, j: int) -> WordDiff | None:
        left, right = self.blocks
        lb, rb = left[i].text.rstrip(), right[j].text.rstrip()
        total = len(lb) + len(rb)
        if min(len(lb), len(rb)) > HUGE_BLOCK_CHARS:
            # A text without paragraph breaks: as one row each it would show nothing; compare it
            # by sentences (see words._token_ops) and keep whatever it shares.
            d = self.cached(lb, rb, lambda: trimmed_diff(self.codec, lb, rb))
            return d if d.similarity >= 0.05 else None
        threshold = self.threshold
        if 2 * min(len(lb), len(rb)) < threshold * total * 0.8:
            return None
        if lb[:1] != rb[:1] and lb[-1:] != rb[-1:] and threshold > 0:
            cuts = (0, 0)  # what trim_points would say, for less
        else:
            cuts = trim_points(lb, rb)
        if 2 * (cuts[0] + cuts[1]) >= threshold * total:
            # mostly shared text (an edit in place): diff only the part in between
            d = self.cached(lb, rb, lambda: trimmed_diff(self.codec, lb, rb, cuts))
        elif self.bound(i, j) < threshold or not self.ordered_enough(i, j):
            return None
        else:
            d = self.full_diff(i, j)
        return d if d.similarity >= threshold else None

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


def common_chars(a: Counter[str], b: Counter[str]) -> int:
    """Characters of the words two blocks have in common, counted as often as both have them."""
    return sum([len(w) * min(a[w], b[w]) for w in a.keys() & b.keys()])


def heaviest_in_order(cands: list[tuple[int, int, WordDiff]]) -> list[tuple[int, int, WordDiff]]:
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

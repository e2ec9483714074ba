"""Word-level diff inside a pair of blocks: diff-match-patch over word tokens.

Each block body is cut into tokens (a run of word characters, a run of whitespace, or one other
character); the tokens tile the body. Every distinct (normalised) token gets one character, the way
diff-match-patch's lines-to-chars encoding treats lines, and fast-diff-match-patch (C++) diffs the two
strings with no time limit and semantic cleanup. Highlights therefore always fall on whole tokens,
and the result never degrades on a deadline.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import NamedTuple

import fast_diff_match_patch as fdmp

from ..sametext import as_spaces
from .model import DiffOptions, Span, SpanKind

TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
WORD = re.compile(r"\w+")
_WORD_START = re.compile(r"\w").match
_NON_WORD = re.compile(r"\W+")
# Sentence ends and line breaks get codes in a range of their own, so that a huge pair of blocks
# can be cut into sentences from the encoded strings alone (see _token_ops).
_SENTENCE_ENDS = frozenset(".!?;:")
_FIRST_CODE = 0x100
_BOUNDARY_CODES = 0x800
_LAST_BOUNDARY = chr(_FIRST_CODE + _BOUNDARY_CODES - 1)
#: Pairs with more tokens than this (both sides) are first aligned by sentences.
HUGE_PAIR_TOKENS = 8000
#: A changed stretch between equal sentences with more tokens than this is not diffed word by word
#: (Myers' algorithm costs tokens x differences): its sentences are all different.
HUGE_REGION_TOKENS = 12000


class Encoded(NamedTuple):
    """A block body as one character per compared token, with the offsets to map back.
    (Internal and created per block pair, hence a light NamedTuple.)"""

    chars: str  # one character per kept token
    starts: tuple[int, ...]  # start offset in the body of each kept token
    ends: tuple[int, ...]  # end offset in the body of each kept token
    cum: tuple[int, ...]  # cum[k]: characters of word tokens before kept token k (len(chars) + 1)

    @property
    def size(self) -> int:
        return self.cum[-1]


class TokenCodec:
    """Assigns one character per distinct normalised token, shared by all blocks of one diff.

    Not shared between diffs: it is created inside :func:`archiver.diffing.diff_texts` and dropped
    with it, so no state outlives a call.
    """

    __slots__ = ("_codes", "_weights", "_options", "_normalise", "_counts")

    def __init__(self, options: DiffOptions) -> None:
        self._codes: dict[str, str] = {}
        self._weights: dict[str, int] = {}  # code -> characters it counts for the similarity
        self._options = options
        self._normalise = options.ignore_case or options.ignore_whitespace or options.ignore_punctuation
        self._counts = [0, 0]  # codes given out: sentence boundaries, other tokens

    @property
    def normalises(self) -> bool:
        """Whether the options make some tokens compare equal (or drop them)."""
        return self._normalise

    def _code(self, token: str, original: str) -> str:
        codes = self._codes
        c = codes.get(token)
        if c is None:
            counts = self._counts
            if (token in _SENTENCE_ENDS or "\n" in token) and counts[0] < _BOUNDARY_CODES:
                c = chr(_FIRST_CODE + counts[0])
                counts[0] += 1
            else:
                n = _FIRST_CODE + _BOUNDARY_CODES + counts[1]
                counts[1] += 1
                if n >= 0xD800:  # skip the surrogate range, which is not a valid string character
                    n += 0x800
                c = chr(n)
            codes[token] = c
            self._weights[c] = len(original) if _WORD_START(original) else 0
        return c

    def encode(self, body: str) -> Encoded:
        tokens = TOKEN.findall(as_spaces(body))  # space-like characters compare as spaces
        if self._normalise:
            return self._encode_normalised(body, tokens)
        codes = self._codes
        new = set(tokens).difference(codes)
        if new:
            code = self._code
            for t in sorted(new):  # sorted: codes must not depend on set order (hash seeds)
                code(t, t)
        chars = list(map(codes.__getitem__, tokens))
        ends = tuple(accumulate(map(len, tokens)))
        starts = (0, *ends[:-1]) if ends else ()
        cum = tuple(accumulate(map(self._weights.__getitem__, chars), initial=0))
        return Encoded("".join(chars), starts, ends, cum)

    def _encode_normalised(self, body: str, tokens: list[str]) -> Encoded:
        opts = self._options
        code = self._code
        starts: list[int] = []
        ends: list[int] = []
        chars: list[str] = []
        pos = 0
        for tok in tokens:
            end = pos + len(tok)
            norm = tok
            first = tok[0]
            if first.isspace():
                if opts.ignore_whitespace:
                    pos = end
                    continue
                norm = " " if opts.ignore_punctuation else tok
            elif opts.ignore_punctuation and not (first.isalnum() or first == "_"):
                pos = end
                continue
            elif opts.ignore_case:
                norm = tok.casefold()
            starts.append(pos)
            ends.append(end)
            chars.append(code(norm, tok))
            pos = end
        if opts.ignore_punctuation and not opts.ignore_whitespace:
            # punctuation removed may leave whitespace side by side or at the edges: keep one
            space = code(" ", " ")
            keep = [
                i
                for i, ch in enumerate(chars)
                if ch != space or (0 < i < len(chars) - 1 and chars[i - 1] != space)
            ]
            if len(keep) != len(chars):
                chars = [chars[i] for i in keep]
                starts = [starts[i] for i in keep]
                ends = [ends[i] for i in keep]
        weights = self._weights
        cum = tuple(accumulate((weights[c] for c in chars), initial=0))
        return Encoded("".join(chars), tuple(starts), tuple(ends), cum)

    def key(self, body: str) -> str:
        """The comparison key of a body under the options (equal keys mean equal blocks)."""
        return self.encode(body).chars


class WordDiff(NamedTuple):
    left_spans: tuple[Span, ...]
    right_spans: tuple[Span, ...]
    similarity: float  # share of the word characters (both sides) that are in equal tokens


def word_diff(left: Encoded, right: Encoded, shift: tuple[int, int] = (0, 0), shared: int = 0) -> WordDiff:
    """Diff two encoded bodies; spans are offsets into the bodies (plus ``shift``), merged per hunk.

    ``shared`` counts word characters known equal outside the encoded parts (a trimmed common
    prefix and suffix, on both sides) for the similarity.
    """
    a, b = left.chars, right.chars
    total = left.size + right.size + shared
    if a == b:
        return WordDiff((), (), 1.0)
    ops = _token_ops(a, b)
    lspans: list[Span] = []
    rspans: list[Span] = []
    i = j = 0
    ls, rs = shift
    equal = shared  # characters of the two bodies inside equal word tokens
    for op, n in ops:
        if op == "=":
            equal += left.cum[i + n] - left.cum[i] + right.cum[j + n] - right.cum[j]
            i += n
            j += n
        elif op == "-":
            lspans.append(Span(left.starts[i] + ls, left.ends[i + n - 1] + ls, SpanKind.DELETE))
            i += n
        else:
            rspans.append(Span(right.starts[j] + rs, right.ends[j + n - 1] + rs, SpanKind.INSERT))
            j += n
    return WordDiff(tuple(lspans), tuple(rspans), equal / total if total else 0.0)


def _boundary(text: str, k: int) -> bool:
    """Whether a token boundary lies before ``text[k]`` (tokens: word runs, space runs, other chars)."""
    if k <= 0 or k >= len(text):
        return True
    a, b = text[k - 1], text[k]
    if a.isspace():
        return not b.isspace()
    return not (_WORD_START(a) and _WORD_START(b))


def trim_points(left: str, right: str) -> tuple[int, int]:
    """Lengths of the common beginning and end of two bodies, cut at token boundaries of both (so
    that no word is split and highlights still fall on whole words)."""
    p = common_prefix(left, right)
    while p and not (_boundary(left, p) and _boundary(right, p)):
        p -= 1
    nl, nr = len(left), len(right)
    s = common_suffix(left, right, min(nl, nr) - p)
    while s and not (_boundary(left, nl - s) and _boundary(right, nr - s)):
        s -= 1
    return p, s


def common_suffix(a: str, b: str, limit: int) -> int:
    """Length (at most ``limit``) of the common ending of two strings, by halving."""
    lo, hi = 0, limit
    na, nb = len(a), len(b)
    if hi and a[na - hi :] == b[nb - hi :]:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[na - mid : na - lo] == b[nb - mid : nb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def trimmed_diff(codec: TokenCodec, left: str, right: str, cuts: tuple[int, int] | None = None) -> WordDiff:
    """:func:`word_diff` of two bodies, tokenising only what lies between their common beginning
    and end (``cuts``, from :func:`trim_points`), so highlights still fall on whole words."""
    if left == right:
        return WordDiff((), (), 1.0)
    p, s = trim_points(left, right) if cuts is None else cuts
    lmid, rmid = left[p : len(left) - s], right[p : len(right) - s]
    same = left[:p] + left[len(left) - s :]
    shared = 2 * len(_NON_WORD.sub("", same)) if same else 0
    if not (lmid and rmid) and not codec.normalises:
        # text only added or only removed: one span over it, as the word diff would give (the
        # tokens tile the part in between), without tokenising it
        mid = lmid or rmid
        size = len(_NON_WORD.sub("", mid))
        sim = shared / (shared + size) if shared + size else 0.0
        if lmid:
            return WordDiff((Span(p, p + len(lmid), SpanKind.DELETE),), (), sim)
        return WordDiff((), (Span(p, p + len(rmid), SpanKind.INSERT),), sim)
    return word_diff(codec.encode(lmid), codec.encode(rmid), (p, p), shared)


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix of two strings, by halving (slice comparisons run in C)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def count_words(text: str) -> int:
    """Words as ``wc -w`` and git's word diff count them: runs of non-whitespace."""
    return len(text.split())


def touched_words(body: str, spans: tuple[Span, ...]) -> int:
    """How many words (runs of non-whitespace) the spans of ``body`` cover.

    Spans fall on token boundaries, so a span holds whole words or the changed part of one (the
    comma of ``data,``); each run of non-whitespace inside a span counts as one word.
    """
    return sum([len(body[s.start : s.end].split()) for s in spans])


def inline_ops(left_body: str, right_body: str, options: DiffOptions) -> tuple[tuple[str, str], ...]:
    """The word diff of two bodies as ``(op, text)`` pieces covering both bodies, for inline display:
    ``"="`` (text from the right body), ``"-"`` (from the left), ``"+"`` (from the right)."""
    codec = TokenCodec(options)
    left, right = codec.encode(left_body), codec.encode(right_body)
    ops = _token_ops(left.chars, right.chars)
    out: list[tuple[str, str]] = []
    i = j = 0
    lpos = rpos = 0
    nl, nr = len(left.chars), len(right.chars)
    for op, n in ops:
        if op == "=":
            i += n
            j += n
            end = right.starts[j] if j < nr else len(right_body)
            out.append(("=", right_body[rpos:end]))
            rpos = end
            lpos = left.starts[i] if i < nl else len(left_body)
        elif op == "-":
            i += n
            end = left.starts[i] if i < nl else len(left_body)
            out.append(("-", left_body[lpos:end]))
            lpos = end
        else:
            j += n
            end = right.starts[j] if j < nr else len(right_body)
            out.append(("+", right_body[rpos:end]))
            rpos = end
    if rpos < len(right_body):
        out.append(("=", right_body[rpos:]))
    return tuple(piece for piece in out if piece[1])


def _token_ops(a: str, b: str) -> list[tuple[str, int]]:
    """``fdmp.diff`` of two token strings (semantic cleanup, no time limit), in two levels for huge
    pairs: equal sentences first, then words inside the stretches that differ."""
    if len(a) + len(b) <= HUGE_PAIR_TOKENS:
        return list(fdmp.diff(a, b, timelimit=0, cleanup="Semantic", counts_only=True))
    sa, sb = _sentences(a), _sentences(b)
    codes: dict[str, str] = {}
    ka = "".join(
        [codes.setdefault(x, chr(0x100 + len(codes) + (0x800 if len(codes) >= 0xD700 else 0))) for x in sa]
    )
    kb = "".join(
        [codes.setdefault(x, chr(0x100 + len(codes) + (0x800 if len(codes) >= 0xD700 else 0))) for x in sb]
    )
    out: list[tuple[str, int]] = []

    def add(op: str, n: int) -> None:
        if n:
            if out and out[-1][0] == op:
                out[-1] = (op, out[-1][1] + n)
            else:
                out.append((op, n))

    i = j = 0  # sentence indices
    pending_a: list[str] = []
    pending_b: list[str] = []

    def flush() -> None:
        da, db = "".join(pending_a), "".join(pending_b)
        pending_a.clear()
        pending_b.clear()
        if not da or not db or len(da) + len(db) > HUGE_REGION_TOKENS:
            add("-", len(da))
            add("+", len(db))
        else:
            for op, n in fdmp.diff(da, db, timelimit=0, cleanup="Semantic", counts_only=True):
                add(op, n)

    for op, n in fdmp.diff(ka, kb, timelimit=0, cleanup="No", counts_only=True):
        if op == "=":
            flush()
            add("=", sum(map(len, sa[i : i + n])))
            i += n
            j += n
        elif op == "-":
            pending_a.extend(sa[i : i + n])
            i += n
        else:
            pending_b.extend(sb[j : j + n])
            j += n
    flush()
    return out


def _sentences(chars: str) -> list[str]:
    """Cut a token string after each sentence end or line break (or, with none, at tokens picked by
    their code, which cuts both versions of a text at the same places)."""
    cuts = [k + 1 for k, c in enumerate(chars) if c <= _LAST_BOUNDARY]
    if len(cuts) < len(chars) // 200:
        cuts = [k + 1 for k, c in enumerate(chars) if c <= _LAST_BOUNDARY or ord(c) % 64 == 0]
    out = []
    start = 0
    for k in cuts:
        out.append(chars[start:k])
        start = k
    if start < len(chars):
        out.append(chars[start:])
    return out

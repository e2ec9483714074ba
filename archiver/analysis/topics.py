"""What a change is about: privacy topics from an editable watchlist, matched in diff rows.

The watchlist (``topics.json`` beside this module; an edited copy lives in the archive folder, see
:func:`watchlist_path`) lists topics with terms per language. A term matches whole words in any
letter case; a term ending in ``*`` matches any word it begins. A text is matched with the terms of
its language (all languages' terms when the watchlist has none for it), so the Dutch "kind" never
tags an English "kind of".

Each changed row of a diff gets the topics whose terms occur in its blocks, with the words that
matched, split into those inside the highlighted change and those in its unchanged context. A row's
priority explains itself: for each topic its weight times (2 per distinct changed word + 1 per
distinct context word).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..diffing.model import Block, DiffResult, DiffRow, RowKind, Span
from ..errors import WatchlistError

#: The watchlist shipped with policydiff.
DEFAULT_WATCHLIST = Path(__file__).with_name("topics.json")
#: The name of an edited watchlist inside an archive folder.
WATCHLIST_NAME = "topics.json"


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    name: str
    group: str  # "OPP-115" for the annotation scheme's categories, "watch" for the others
    weight: int  # 1..3: the topic's share of a change's priority
    terms: tuple[tuple[str, tuple[str, ...]], ...]  # (language, terms) pairs

    def terms_for(self, language: str) -> tuple[str, ...]:
        return dict(self.terms).get(language, ())


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """One topic found in one change."""

    topic: str  # Topic.id
    name: str
    weight: int
    words: tuple[str, ...]  # distinct matched words, lower case, in order of appearance
    changed_words: tuple[str, ...]  # those of ``words`` inside the highlighted change

    def as_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "name": self.name,
            "words": list(self.words),
            "changed_words": list(self.changed_words),
        }


@dataclass(frozen=True, slots=True)
class Priority:
    score: int
    why: str  # e.g. "children 3×(2×1+1) + cookies-tracking 2×(2×1)"


@dataclass(frozen=True, slots=True)
class Watchlist:
    topics: tuple[Topic, ...]
    source: str = ""  # the file it was read from

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(lang for t in self.topics for lang, _ in t.terms)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "topics": [
                {
                    "id": t.id,
                    "name": t.name,
                    "group": t.group,
                    "weight": t.weight,
                    "terms": {k: list(v) for k, v in t.terms},
                }
                for t in self.topics
            ],
        }


def watchlist_path(archive_root: Path | None) -> Path:
    """The watchlist in use: the archive's edited copy when there is one, else the shipped one."""
    if archive_root is not None and (archive_root / WATCHLIST_NAME).is_file():
        return archive_root / WATCHLIST_NAME
    return DEFAULT_WATCHLIST


def parse_watchlist(data: Any, source: str = "") -> Watchlist:
    """A watchlist from its JSON form; WatchlistError names the first thing wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
        raise WatchlistError(source, 'expected an object with a "topics" list')
    topics: list[Topic] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["topics"], 1):
        if not isinstance(raw, dict):
            raise WatchlistError(source, f"topic {n} is not an object")
        topic_id, name = raw.get("id"), raw.get("name")
        if not isinstance(topic_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", topic_id):
            raise WatchlistError(source, f"topic {n} needs an id of lower-case letters, digits and dashes")
        if topic_id in seen:
            raise WatchlistError(source, f"topic id {topic_id!r} appears twice")
        seen.add(topic_id)
        weight = raw.get("weight", 1)
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 3:
            raise WatchlistError(source, f"topic {topic_id!r}: weight must be 1, 2 or 3")
        terms = raw.get("terms")
        if not isinstance(terms, dict) or not terms:
            raise WatchlistError(source, f"topic {topic_id!r} has no terms")
        pairs: list[tuple[str, tuple[str, ...]]] = []
        for lang, words in terms.items():
            if not isinstance(words, list) or not all(isinstance(w, str) and w.strip(" *") for w in words):
                raise WatchlistError(
                    source, f"topic {topic_id!r}: the {lang!r} terms must be a list of words"
                )
            pairs.append((str(lang), tuple(" ".join(w.lower().split()) for w in words)))
        topics.append(Topic(topic_id, str(name or topic_id), str(raw.get("group", "")), weight, tuple(pairs)))
    if not topics:
        raise WatchlistError(source, "it lists no topics")
    return Watchlist(tuple(topics), source)


def load_watchlist(path: Path = DEFAULT_WATCHLIST) -> Watchlist:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WatchlistError(str(path), exc.strerror or str(exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WatchlistError(str(path), f"not valid JSON ({exc})") from None
    return parse_watchlist(data, str(path))


def save_watchlist(watchlist: Watchlist, path: Path) -> None:
    """Write ``watchlist`` as JSON (through a temporary file, so a crash leaves the old one)."""
    from ..exports.paths import write_file

    text = json.dumps(watchlist.as_json(), ensure_ascii=False, indent=1) + "\n"
    write_file(path, text.encode("utf-8"), force=True)


_WORD = re.compile(r"\w+")


_SEP, _STAR, _END = "\x00sep", "\x00star", "\x00end"  # trie atoms besides plain characters


def _trie_pattern(terms: Iterable[tuple[tuple[str, ...], bool]]) -> str:
    """One regular expression for all ``terms`` (words; the last one a prefix?) shaped as a trie:
    the engine branches on each character instead of trying every term in turn, and takes the
    longest term that matches."""
    root: dict[str, Any] = {}
    for tokens, prefix in terms:
        node = root
        atoms: list[str] = []
        for k, token in enumerate(tokens):
            if k:
                atoms.append(_SEP)
            atoms.extend(token)
        if prefix:
            atoms.append(_STAR)
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[_END] = {}

    def render(node: dict[str, Any]) -> str:
        alternatives = [
            ({_SEP: r"\W+", _STAR: r"\w*"}.get(atom) or re.escape(atom)) + render(child)
            for atom, child in sorted(node.items())
            if atom != _END
        ]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        return f"(?:{body})?" if _END in node else body

    return render(root)


class Matcher:
    """The terms of one watchlist for one language, compiled into one trie-shaped expression.

    The expression starts with the non-word character before a term (the text gets a leading
    space), so the engine skips to word starts at C speed and tries the trie only there; a match
    is then looked up by its words (a prefix term by each of its prefix lengths), once per distinct
    match.
    """

    def __init__(
        self,
        terms: Sequence[tuple[tuple[str, ...], bool, Topic]],
        topics: Sequence[Topic],
        bounded: bool = True,
    ) -> None:
        self.topics = tuple(topics)
        self._exact: dict[tuple[str, ...], list[Topic]] = {}
        self._prefixes: dict[tuple[str, ...], list[Topic]] = {}
        for tokens, prefix, topic in terms:
            table = self._prefixes if prefix else self._exact
            if topic not in table.setdefault(tokens, []):
                table[tokens].append(topic)
        self._lengths = sorted({len(k[-1]) for k in self._prefixes})
        body = _trie_pattern({(tokens, prefix) for tokens, prefix, _ in terms})
        # a script without spaces between words (Chinese, Japanese, Korean) has terms anywhere
        pattern = rf"\W({body})(?!\w)" if bounded else f"({body})"
        self._pattern = re.compile(pattern if body else r"(?!x)x")
        self._seen: dict[str, tuple[tuple[Topic, ...], str]] = {}

    def _topics_of(self, found: str) -> tuple[Topic, ...]:
        tokens = tuple(_WORD.findall(found))
        out = list(self._exact.get(tokens, ()))
        last = tokens[-1] if tokens else ""
        for n in self._lengths:
            if n > len(last):
                break
            out.extend(t for t in self._prefixes.get((*tokens[:-1], last[:n]), ()) if t not in out)
        return tuple(out)

    def find(self, text: str) -> list[tuple[tuple[Topic, ...], str, int, int]]:
        """(topics, word, start, end) of each term found in ``text``, in text order; ``word`` is
        the matched text in lower case with single spaces."""
        low = text.lower()
        if len(low) != len(text):  # a letter whose lower case is longer: keep the offsets right
            low = "".join(c.lower()[0] for c in text)
        out = []
        seen = self._seen
        for match in self._pattern.finditer(" " + low):
            found = match.group(1)
            known = seen.get(found)
            if known is None:
                known = seen[found] = (self._topics_of(found), " ".join(found.split()))
            out.append((known[0], known[1], match.start(1) - 1, match.end(1) - 1))
        return out


_UNSPACED = ("zh", "ja", "ko")


@cache
def _matcher(watchlist: Watchlist, language: str) -> Matcher:
    use = language if language in watchlist.languages else None
    terms = []
    for topic in watchlist.topics:
        for lang, words in topic.terms:
            if use is None or lang == use:
                for word in words:
                    tokens = tuple(_WORD.findall(word.lower()))
                    if tokens:
                        terms.append((tokens, word.endswith("*"), topic))
    return Matcher(terms, watchlist.topics, bounded=use not in _UNSPACED)


def matcher(watchlist: Watchlist, language: str) -> Matcher:
    """The watchlist's terms for ``language`` (a two-letter code), built once per process."""
    return _matcher(watchlist, language.split("-")[0].lower())


def _in_spans(start: int, end: int, spans: Sequence[Span]) -> bool:
    return any(s.start < end and start < s.end for s in spans)


_REACH = 60  # characters around a removed span scanned for terms that cross its edge


def _windows(text: str, spans: Sequence[Span]) -> list[tuple[int, int]]:
    """Stretches of ``text`` around ``spans``, cut at spaces and merged."""
    out: list[tuple[int, int]] = []
    for span in spans:
        start = text.rfind(" ", 0, max(0, span.start - _REACH)) + 1
        end = text.find(" ", min(len(text), span.end + _REACH))
        end = len(text) if end < 0 else end
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _tag_block(
    m: Matcher,
    block: Block | None,
    spans: Sequence[Span],
    whole: bool,
    words: dict[str, list[str]],
    changed: dict[str, set[str]],
    around_spans: bool = False,
) -> None:
    if block is None:
        return
    text = block.text
    # the old side of an edited block: its unchanged words are on the new side, scanned whole
    windows = _windows(text, spans) if around_spans else [(0, len(text))]
    for at, stop in windows:
        for topics, word, start, end in m.find(text[at:stop] if around_spans else text):
            inside = whole or _in_spans(start + at, end + at, spans)
            for topic in topics:
                seen = words.setdefault(topic.id, [])
                if word not in seen:
                    seen.append(word)
                if inside:
                    changed.setdefault(topic.id, set()).add(word)


def tag_row(row: DiffRow, m: Matcher) -> tuple[TopicMatch, ...]:
    """The topics of one changed row (nothing for an unchanged one), in watchlist order."""
    if row.kind is RowKind.EQUAL:
        return ()
    whole = row.kind in (RowKind.INSERT, RowKind.DELETE)
    words: dict[str, list[str]] = {}
    changed: dict[str, set[str]] = {}
    paired = row.left is not None and row.right is not None
    _tag_block(m, row.left, row.left_spans, whole, words, changed, around_spans=paired)
    _tag_block(m, row.right, row.right_spans, whole, words, changed)
    if not words:
        return ()
    out = []
    for topic in m.topics:
        found = words.get(topic.id)
        if found is not None:
            inside = changed.get(topic.id, set())
            out.append(
                TopicMatch(
                    topic.id, topic.name, topic.weight, tuple(found), tuple(w for w in found if w in inside)
                )
            )
    return tuple(out)


def tag_diff(result: DiffResult, watchlist: Watchlist, language: str) -> tuple[tuple[TopicMatch, ...], ...]:
    """The topics of every row of ``result`` (empty for unchanged rows), in row order."""
    m = matcher(watchlist, language)
    return tuple(tag_row(row, m) for row in result.rows)


def priority(matches: Sequence[TopicMatch]) -> Priority:
    """How much a change matters by its topics: Σ weight × (2 × changed words + context words)."""
    score, parts = 0, []
    for match in matches:
        changed = len(match.changed_words)
        context = len(match.words) - changed
        score += match.weight * (2 * changed + context)
        terms = " + ".join(
            x for x in (f"2×{changed}" if changed else "", f"{context}" if context else "") if x
        )
        parts.append(f"{match.topic} {match.weight}×({terms})")
    return Priority(score, " + ".join(parts))


def merge(matches: Iterable[Sequence[TopicMatch]]) -> tuple[TopicMatch, ...]:
    """The topics of several rows (one change of the app's list) as one, words united."""
    merged: dict[str, TopicMatch] = {}
    for row in matches:
        for match in row:
            old = merged.get(match.topic)
            if old is None:
                merged[match.topic] = match
            else:
                words = old.words + tuple(w for w in match.words if w not in old.words)
                changed = old.changed_words + tuple(
                    w for w in match.changed_words if w not in old.changed_words
                )
                merged[match.topic] = TopicMatch(old.topic, old.name, old.weight, words, changed)
    return tuple(merged.values())

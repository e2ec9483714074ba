"""The "last updated" / effective date a policy states about itself, read by locale.

A policy's own date line ("Last updated: March 4, 2024", "Dernière mise à jour : 08-01-2026",
"Stand: 01.03.2024", "更新日期：2026年5月25日") is found after a cue phrase in the first part of the
text. Numeric dates are read month first on US English pages and day first everywhere else
(docs/answers.md); when both readings are valid dates ("03/04/2024"), both are kept, the locale's
first, and the statement says it is ambiguous.

A page often states more than one date next to each other ("更新日期 … 生效日期 …", "published and
effective … updated …"); they are kept together, and the policy's stated date is the latest of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any

_MONTHS = {
    # en
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
    # fr
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
    # de
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7, "oktober": 10,
    "dezember": 12,
    # es / it / pt / nl
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "settembre": 9,
    "ottobre": 10, "dicembre": 12,
    "janeiro": 1, "fevereiro": 2, "março": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9,
    "outubro": 10, "dezembro": 12,
    "januari": 1, "februari": 2, "maart": 3, "mei": 5, "augustus": 8,
}  # fmt: skip

UPDATED = "updated"
EFFECTIVE = "effective"
MONTH_FIRST = "month-first"
DAY_FIRST = "day-first"

#: Cue phrases of a date the policy takes effect from.
_EFFECTIVE_CUES = (
    r"effective(?:\s+(?:date|as\s+of|from|on))?|in\s+effect\s+(?:as\s+of|from)|applies\s+from|"
    r"en\s+vigueur(?:\s+(?:au|le|du|à\s+compter\s+du|depuis\s+le))?|date\s+d['’]entr[ée]e\s+en\s+vigueur|"
    r"gültig\s+ab|fecha\s+de\s+vigencia|vigente\s+desde|en\s+vigor\s+desde|in\s+vigore\s+dal|"
    r"van\s+kracht\s+(?:vanaf|per)|geldig\s+(?:vanaf|per)"
)
#: Cue phrases of the date the policy was last changed.
_UPDATED_CUES = (
    r"last\s+(?:updated|modified|revised|changed)|(?:updated|revised|modified)\s*(?:on|:)?|"
    r"date\s+of\s+(?:last\s+)?(?:update|revision)|version\s+(?:date|of)|version\s*:|"
    r"derni[èe]re\s+mise\s+[àa]\s+jour|mise\s+[àa]\s+jour(?:\s+le)?|mis\s+[àa]\s+jour\s+le|version\s+du|"
    r"(?:zuletzt\s+)?(?:aktualisiert|geändert)(?:\s+am)?|letzte\s+(?:aktualisierung|änderung)|stand|"
    r"[úu]ltima\s+(?:actualizaci[óo]n|modificaci[óo]n|atualiza[çc][ãa]o|revis[ãa]o)|"
    r"ultimo\s+aggiornamento|aggiornat[ao]\s+(?:il|al)|ultima\s+modifica|"
    r"laatst\s+(?:bijgewerkt|gewijzigd)(?:\s+op)?|bijgewerkt\s+op"
)
_CJK_EFFECTIVE = r"施行日|生效日期|시행일"
_CJK_UPDATED = r"最終更新日?|更新日期?|最后更新|최종\s*수정일"
#: The letters the cues above start with; a new cue that starts with another letter must add it.
#: The engine tests this one class at each position of the text and tries the forty-odd cue
#: phrases only where it holds (a 20 000-character head: 2.1 -> 1.2 ms per 500 KB of HTML).
_CUE_START = "abdefgilmrsuvzú施生시最更최"
# Latin cues are whole words ("stand" is no cue inside "understand"; Markdown's "_" may touch them);
# CJK has no word boundaries.
_CUE_RE = re.compile(
    rf"(?=[{_CUE_START}])"
    rf"(?:(?<![^\W_])(?:(?P<effective>{_EFFECTIVE_CUES})|(?P<updated>{_UPDATED_CUES}))(?![^\W_])"
    rf"|(?P<cjk_effective>{_CJK_EFFECTIVE})|(?P<cjk_updated>{_CJK_UPDATED}))",
    re.I,
)


def _longest_first(words: list[str]) -> str:
    """A regex that matches as the alternation of ``words`` longest first ("march|mars|mar"),
    written as a trie ("mar(?:ch|s)?").

    The words that match at one place are prefixes of one another, and the trie tries the longer
    continuation before it stops, so it picks the same word as the alternation. It is faster under
    re.I: the engine tests a letter per branch instead of each of the ninety month names at every
    word (date_order's scan of a 20 000-character head: 4.0 -> 0.8 ms per 500 KB of HTML)."""
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def pattern(node: dict[str, dict[str, Any]]) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        joined = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{joined})?" if "" in node else joined

    return pattern(trie)


_MONTH_NAMES = _longest_first(list(_MONTHS))
_MDY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DMY = re.compile(
    rf"\b(\d{{1,2}})(?:er|st|nd|rd|th|º|°)?\.?\s+(?:de\s+)?({_MONTH_NAMES})\.?,?\s+(?:de\s+)?(\d{{4}})\b",
    re.I,
)
_DATE_FORMS = (
    # January 17, 2022 / Jan. 17th 2022
    (_MDY, "mdy"),
    # 17 January 2022 / 13 décembre 2024 / 1er janvier 2023 / 17. Januar 2022 / 17 de enero de 2022
    (_DMY, "dmy"),
    # 2022-01-17 / 2022/01/17 / 2022年1月17日 / 2024 年 1 月 5 日 / 2022. 1. 17.
    (
        re.compile(
            r"\b(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\b日?|(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
        ),
        "ymd",
    ),
    # 17/01/2022, 01/17/2022, 17.01.2022, 08-01-2026, 03/04/24: by locale, both readings if ambiguous
    (re.compile(r"\b(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})\b"), "num"),
    # April 2025 / Avril 2025 / abril de 2026 (day 1)
    (re.compile(rf"\b({_MONTH_NAMES})\s+(?:de\s+)?(\d{{4}})\b", re.I), "my"),
)
_NEAR = 40  # a date must start this close after its cue
_TOGETHER = 300  # statements this close to each other belong to one date block
_HEAD = 20000  # the part of the text searched


@dataclass(frozen=True, slots=True)
class DateStatement:
    """One date the policy states about itself."""

    kind: str  # UPDATED or EFFECTIVE
    readings: tuple[str, ...]  # ISO dates, the locale's reading first; two when the form reads both ways
    cue: str  # the phrase that introduced it, as written
    line: str  # the line of text that holds it, whitespace collapsed
    span: tuple[int, int] = (0, 0)  # where that line is in the text: ``text[start:end]``

    @property
    def iso(self) -> str:
        return self.readings[0]

    @property
    def ambiguous(self) -> bool:
        return len(self.readings) > 1


@dataclass(frozen=True, slots=True)
class StatedDate:
    """The dates a policy states about itself, from one block of date lines."""

    statements: tuple[DateStatement, ...]  # in text order; never empty
    order: str  # how numeric dates were read: MONTH_FIRST or DAY_FIRST

    @property
    def iso(self) -> str:
        """The policy's stated date: the latest date it states (the locale's reading)."""
        return max(s.iso for s in self.statements)

    @property
    def ambiguous(self) -> bool:
        return any(s.ambiguous for s in self.statements)

    @property
    def effective(self) -> str:
        """The latest effective date it states, or ""."""
        return max((s.iso for s in self.statements if s.kind == EFFECTIVE), default="")

    def as_json(self) -> dict[str, object]:
        return {
            "stated_date": self.iso,
            "ambiguous": self.ambiguous,
            "order": self.order,
            "statements": [
                {
                    "kind": s.kind,
                    "date": s.iso,
                    "readings": list(s.readings),
                    "ambiguous": s.ambiguous,
                    "line": s.line,
                }
                for s in self.statements
            ],
        }


def date_order(language: str, text: str = "") -> str:
    """How numeric dates are read: month first on US English pages, day first elsewhere.

    ``language`` is a language tag ("en-US", "en-gb", "fr"). English without a region is read as
    US English unless the page itself writes its dates day first ("22 April 2026").
    """
    primary, _, region = language.lower().replace("_", "-").partition("-")
    if primary != "en":
        return DAY_FIRST
    if region:
        return MONTH_FIRST if region == "us" else DAY_FIRST
    head = text[:_HEAD]
    # Day first when more dates are written day first. The month-first dates are counted only as
    # far as that decides it (none at all when no date is written day first, as on most US pages):
    # their pattern is the costly one.
    day_first = len(_DMY.findall(head))
    month_first = sum(1 for _ in islice(_MDY.finditer(head), day_first))
    return DAY_FIRST if day_first > month_first else MONTH_FIRST


def _iso(year: int, month: int, day: int) -> str | None:
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _readings(kind: str, groups: tuple[str | None, ...], order: str) -> tuple[str, ...]:
    g = [x for x in groups if x is not None]
    try:
        if kind == "mdy":
            found = [_iso(int(g[2]), _MONTHS[g[0].lower()], int(g[1]))]
        elif kind == "dmy":
            found = [_iso(int(g[2]), _MONTHS[g[1].lower()], int(g[0]))]
        elif kind == "ymd":
            found = [_iso(int(g[0]), int(g[1]), int(g[2]))]
        elif kind == "num":
            a, b, year = int(g[0]), int(g[2]), int(g[3])
            year += 2000 if len(g[3]) == 2 else 0
            day_first, month_first = _iso(year, b, a), _iso(year, a, b)
            found = [day_first, month_first] if order == DAY_FIRST else [month_first, day_first]
        else:
            found = [_iso(int(g[1]), _MONTHS[g[0].lower()], 1)]
    except KeyError:
        return ()
    out: list[str] = []
    for iso in found:
        if iso is not None and iso not in out:
            out.append(iso)
    return tuple(out)


def _line_at(text: str, start: int, end: int) -> tuple[int, int]:
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    return left, right if right >= 0 else len(text)


_CUE_FIRST = re.compile(f"[{_CUE_START}]", re.I)


def _next_cue(head: str, pos: int, limit: int | None) -> re.Match[str] | None:
    """The first cue in ``head`` from ``pos`` on (as ``_CUE_RE.search(head, pos)``), or with
    ``limit`` the first that starts by ``limit``.

    Once a date is found, only cues within _TOGETHER of it are read, and the next cue is often
    thousands of characters on. Rather than search the head up to it, the cue pattern is tried at
    each letter before ``limit`` a cue can start with (the cue scans of a page whose date is near
    the top: 1.1 -> 0.3 ms per 500 KB of HTML)."""
    if limit is None:
        return _CUE_RE.search(head, pos)
    for letter in _CUE_FIRST.finditer(head, pos, limit + 1):
        # matched in the whole head: what follows ``limit`` can end a cue, and the look-behind
        # sees the character before ``letter``
        cue = _CUE_RE.match(head, letter.start())
        if cue is not None:
            return cue
    return None


def parse_stated_date(text: str, language: str = "") -> StatedDate | None:
    """The dates ``text`` states about itself (``language`` as :func:`date_order` takes it), or None."""
    head = text[:_HEAD]
    order = date_order(language, head)
    statements: list[DateStatement] = []
    pos, limit = 0, None
    while (cue := _next_cue(head, pos, limit)) is not None:
        pos = cue.end()
        window = re.sub(r"[*_`\\#>\[\]]", " ", head[cue.end() : cue.end() + _NEAR + 40])
        best: tuple[int, int, tuple[str, ...]] | None = None
        for pattern, kind in _DATE_FORMS:
            match = pattern.search(window)
            if match is None or match.start() > _NEAR:
                continue
            readings = _readings(kind, match.groups(), order)
            if readings and (best is None or match.start() < best[0]):
                best = (match.start(), match.end(), readings)
        if best is None:
            continue
        effective = cue.group("effective") or cue.group("cjk_effective")
        end = cue.end() + best[1]
        left, right = _line_at(head, cue.start(), end)
        statements.append(
            DateStatement(
                kind=EFFECTIVE if effective else UPDATED,
                readings=best[2],
                cue=" ".join(cue.group(0).split()),
                line=" ".join(head[left:right].split()),
                span=(left, right),
            )
        )
        limit = end + _TOGETHER  # a cue after this starts another block, which is not read
    return StatedDate(tuple(statements), order) if statements else None


def parse_stored(text: str, language: str, stated: str) -> StatedDate | None:
    """The dates of a stored text whose stated date was read as ``stated``: the text is parsed in
    ``language`` (its two-letter code), else with the other order of numeric dates when that is how
    the page's declared locale read it (an "en-GB" page stored as "en")."""
    found = parse_stated_date(text, language)
    if found is None or found.iso == stated or not stated:
        return found
    other = "en-gb" if found.order == MONTH_FIRST else "en-us"
    again = parse_stated_date(text, other)
    return again if again is not None and again.iso == stated else found


def without_date_lines(text: str, stated: StatedDate | None) -> str:
    """``text`` without the lines that state its dates, whitespace collapsed: two versions whose
    texts are equal this way differ only in their dates."""
    if stated is None:
        return " ".join(text.split())
    parts, at = [], 0
    for start, end in sorted({s.span for s in stated.statements}):
        parts.append(text[at:start])
        at = max(at, end)
    parts.append(text[at:])
    return " ".join("".join(parts).split())


def stated_date(text: str, language: str = "") -> str:
    """The ISO date (yyyy-mm-dd) the policy says it was last updated or takes effect, or ""."""
    found = parse_stated_date(text, language)
    return found.iso if found is not None else ""

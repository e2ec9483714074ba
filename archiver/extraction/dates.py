"""The "last updated" / effective date a policy states about itself."""

from __future__ import annotations

import re
from datetime import date

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

#: Phrases that introduce a policy's own date, in the languages we know.
_CUE = (
    r"(?:last\s+(?:updated|modified|revised|changed)|(?:updated|revised|modified)\s*(?:on|:)?|"
    r"effective(?:\s+(?:date|as\s+of|from|on))?|date\s+of\s+(?:last\s+)?(?:update|revision)|in\s+effect\s+(?:as\s+of|from)|"
    r"applies\s+from|version\s+(?:date|of)|version\s*:|"
    r"derni[èe]re\s+mise\s+[àa]\s+jour|mise\s+[àa]\s+jour(?:\s+le)?|mis\s+[àa]\s+jour\s+le|en\s+vigueur(?:\s+(?:au|le|du|à\s+compter\s+du|depuis\s+le))?|"
    r"date\s+d['’]entr[ée]e\s+en\s+vigueur|version\s+du|"
    r"(?:zuletzt\s+)?(?:aktualisiert|geändert)(?:\s+am)?|stand|gültig\s+ab|"
    r"[úu]ltima\s+(?:actualizaci[óo]n|modificaci[óo]n|atualiza[çc][ãa]o|revis[ãa]o)|fecha\s+de\s+vigencia|vigente\s+desde|"
    r"ultimo\s+aggiornamento|aggiornat[ao]\s+(?:il|al)|in\s+vigore\s+dal|"
    r"laatst\s+(?:bijgewerkt|gewijzigd)|bijgewerkt\s+op|"
    r"最終更新日?|更新日|施行日|最后更新|更新日期|生效日期|시행일|최종\s*수정일)"
)
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_FORMS = (
    # January 17, 2022 / Jan. 17th 2022
    (re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "mdy"),
    # 17 January 2022 / 13 décembre 2024 / 1er janvier 2023 / 17. Januar 2022 / 17 de enero de 2022
    (
        re.compile(
            rf"\b(\d{{1,2}})(?:er|st|nd|rd|th|º|°)?\.?\s+(?:de\s+)?({_MONTH_NAMES})\.?,?\s+(?:de\s+)?(\d{{4}})\b",
            re.I,
        ),
        "dmy",
    ),
    # 2022-01-17 / 2022/01/17 / 2022年1月17日 / 2022. 1. 17.
    (re.compile(r"\b(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?"), "ymd"),
    # 17/01/2022 or 01/17/2022 (day first unless impossible)
    (re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b"), "dmy-num"),
    # April 2025 / Avril 2025 (day 1)
    (re.compile(rf"\b({_MONTH_NAMES})\s+(\d{{4}})\b", re.I), "my"),
)
_CUE_RE = re.compile(_CUE, re.I)


def _to_iso(kind: str, groups: tuple[str, ...]) -> str | None:
    try:
        if kind == "mdy":
            month, day, year = _MONTHS[groups[0].lower()], int(groups[1]), int(groups[2])
        elif kind == "dmy":
            day, month, year = int(groups[0]), _MONTHS[groups[1].lower()], int(groups[2])
        elif kind == "ymd":
            year, month, day = int(groups[0]), int(groups[1]), int(groups[2])
        elif kind == "dmy-num":
            a, b, year = int(groups[0]), int(groups[1]), int(groups[2])
            day, month = (b, a) if b > 12 >= a else (a, b)
        else:
            month, day, year = _MONTHS[groups[0].lower()], 1, int(groups[1])
        if not 1990 <= year <= 2100:
            return None
        return date(year, month, day).isoformat()
    except (KeyError, ValueError):
        return None


def stated_date(text: str) -> str:
    """The ISO date (yyyy-mm-dd) the policy says it was last updated or takes effect, or ""."""
    head = text[:20000]
    for cue in _CUE_RE.finditer(head):
        window = head[cue.end() : cue.end() + 80]
        window = re.sub(r"[*_`\\#>\[\]]", "", window)
        best: tuple[int, str] | None = None
        for pattern, kind in _DATE_FORMS:
            match = pattern.search(window)
            if match is None or match.start() > 40:
                continue
            iso = _to_iso(kind, match.groups())
            if iso and (best is None or match.start() < best[0]):
                best = (match.start(), iso)
        if best is not None:
            return best[1]
    return ""

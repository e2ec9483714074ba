"""Measures of one policy text, to follow over its versions: words, sentences, reading time, a
readability score where the language has one, and the well-known third parties it names.

Readability is the Flesch reading ease with each language's own published constants: English
(Flesch), German (Amstad), Spanish (Fernández Huerta), French (Kandel & Moles), Italian
(Flesch-Vacca), Dutch (Douma), Russian (Oborneva). Syllables are counted from the hyphenation
points of pyphen (MPL 1.1), the LibreOffice hyphenation dictionaries, as textstat does for
languages without a pronouncing dictionary. Higher reads easier; scores compare versions of one
language, not languages. Other languages get none.

Reading time assumes 238 words a minute (Brysbaert 2019, silent reading of non-fiction in English);
a CJK character counts as a word, as the extractor counts them. Third parties are counted from a
shipped list of well-known companies (``third_parties.json``), each company once whatever name it
goes by ("YouTube" and "Google Analytics" are Google).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

READING_WPM = 238
THIRD_PARTIES = Path(__file__).with_name("third_parties.json")

#: language -> (pyphen dictionary, formula name, base, per word per sentence, per syllable per word)
READABILITY = {
    "en": ("en_US", "Flesch reading ease", 206.835, 1.015, 84.6),
    "de": ("de_DE", "Flesch-Amstad", 180.0, 1.0, 58.5),
    "es": ("es", "Fernández Huerta", 206.84, 1.02, 60.0),
    "fr": ("fr", "Kandel-Moles", 207.0, 1.015, 73.6),
    "it": ("it_IT", "Flesch-Vacca", 217.0, 1.3, 60.0),
    "nl": ("nl_NL", "Flesch-Douma", 206.835, 0.93, 77.0),
    "ru": ("ru_RU", "Oborneva", 206.835, 1.3, 60.1),
}
_LETTERS = re.compile(r"[^\W\d_]+")
#: The names of the measures, in the order exports and the timeline list them.
MEASURES = ("words", "sentences", "reading_minutes", "readability", "third_parties")

_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|[。！？]+|\n\s*\n")


@dataclass(frozen=True, slots=True)
class Measures:
    words: int
    sentences: int
    reading_minutes: float
    readability: float | None  # None where the language has no formula here
    readability_formula: str  # "" when readability is None
    third_parties: tuple[str, ...]  # companies named, sorted

    def value(self, name: str) -> float | None:
        """One measure by name (MEASURES) as a number, for plots; third_parties counts."""
        if name == "third_parties":
            return float(len(self.third_parties))
        found: Any = getattr(self, name)
        return None if found is None else float(found)

    def as_json(self) -> dict[str, Any]:
        return {
            "words": self.words,
            "sentences": self.sentences,
            "reading_minutes": self.reading_minutes,
            "readability": self.readability,
            "readability_formula": self.readability_formula or None,
            "third_parties": len(self.third_parties),
            "third_parties_named": list(self.third_parties),
        }


@cache
def _third_party_names() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = json.loads(THIRD_PARTIES.read_text(encoding="utf-8"))["names"]
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w])"), names


def third_parties(text: str) -> tuple[str, ...]:
    """The well-known companies ``text`` names (case-sensitive whole names), each once, sorted."""
    pattern, names = _third_party_names()
    return tuple(sorted({names[m.group()] for m in pattern.finditer(text)}))


def count_sentences(plain: str) -> int:
    """Sentences of a plain text: runs ended by . ! ? (or their CJK forms) or a blank line, that
    hold at least one letter or digit (a heading or list item without a full stop counts as one)."""
    return sum(1 for part in _SENTENCE_END.split(plain) if any(c.isalnum() for c in part))


def readability(plain: str, language: str) -> tuple[float | None, str]:
    """(score, formula name), or (None, "") for a language without a formula here."""
    found = READABILITY.get(language.split("-")[0].lower())
    words = _LETTERS.findall(plain.lower())
    sentences = count_sentences(plain)
    if found is None or not words or not sentences:
        return None, ""
    dictionary, formula, base, per_sentence, per_syllable = found
    syllables = sum(_syllables(dictionary, word) for word in words)
    score = base - per_sentence * len(words) / sentences - per_syllable * syllables / len(words)
    return round(score, 1), formula


@cache
def _hyphenator(dictionary: str) -> Any:
    import pyphen

    return pyphen.Pyphen(lang=dictionary)


@lru_cache(maxsize=100_000)
def _syllables(dictionary: str, word: str) -> int:
    return len(_hyphenator(dictionary).positions(word)) + 1


def measure_text(text: str, language: str) -> Measures:
    """The measures of one extracted policy text (Markdown) in ``language`` (two-letter code)."""
    from ..extraction.markdown import count_words, markdown_to_plain

    plain = markdown_to_plain(text)
    words = count_words(plain)
    score, formula = readability(plain, language)
    return Measures(
        words=words,
        sentences=count_sentences(plain),
        reading_minutes=round(words / READING_WPM, 1),
        readability=score,
        readability_formula=formula,
        third_parties=third_parties(plain),
    )

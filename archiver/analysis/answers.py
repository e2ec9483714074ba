"""A version's answers in one record, as exports and reports carry them: the readings of its stated
date, the topics of its change against the version it is compared with, and its measures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..diffing.model import DiffResult
from ..extraction.dates import parse_stored
from .measures import Measures, measure_text
from .topics import Priority, TopicMatch, Watchlist, merge, priority, tag_diff


@dataclass(frozen=True, slots=True)
class VersionAnswers:
    stated_date_readings: tuple[str, ...] = ()  # the stated date's readings; two when ambiguous
    topics: tuple[TopicMatch, ...] = ()  # of all the changed rows against the compared version
    priority: Priority = Priority(0, "")
    measures: Measures | None = None

    def as_dict(self) -> dict[str, Any]:
        m = self.measures
        return {
            "stated_date_readings": list(self.stated_date_readings),
            "topics": [t.topic for t in self.topics],
            "topic_words": {t.topic: list(t.words) for t in self.topics},
            "priority": self.priority.score,
            "sentences": m.sentences if m else None,
            "reading_minutes": m.reading_minutes if m else None,
            "readability": m.readability if m else None,
            "readability_formula": (m.readability_formula or None) if m else None,
            "third_parties": len(m.third_parties) if m else None,
            "third_parties_named": list(m.third_parties) if m else [],
        }

    @staticmethod
    def csv_cells(data: dict[str, Any]) -> dict[str, Any]:
        """The list and mapping cells of :meth:`as_dict` as CSV text (``;`` between items)."""
        words: dict[str, list[str]] = data["topic_words"]
        return {
            "stated_date_readings": ";".join(data["stated_date_readings"]),
            "topics": ";".join(data["topics"]),
            "topic_words": "; ".join(f"{topic}: {', '.join(found)}" for topic, found in words.items()),
            "third_parties_named": ";".join(data["third_parties_named"]),
        }


def version_answers(
    text: str, language: str, stated_date: str, change: DiffResult | None, watchlist: Watchlist
) -> VersionAnswers:
    """The answers for one version's ``text`` (its stored ``stated_date``); ``change`` is its diff
    against the version it is compared with (None for a first version: no topics)."""
    stated = parse_stored(text, language, stated_date) if stated_date else None
    readings = next((s.readings for s in stated.statements if s.iso == stated.iso), ()) if stated else ()
    topics = merge(tag_diff(change, watchlist, language)) if change is not None else ()
    return VersionAnswers(
        stated_date_readings=readings,
        topics=topics,
        priority=priority(topics),
        measures=measure_text(text, language),
    )

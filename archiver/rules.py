"""A policy's extraction rules as a user sets them: check, add, clear, preview, and re-extract.

A rule (``models.ExtractionRule``) names CSS selectors whose content is the policy (``select``)
and selectors removed first (``remove``), in force from a capture time on (``valid_from``; ""
always). Extraction applies the latest rule in force at each capture's time
(``extraction.content.apply_rules``). Setting rules re-extracts every capture of the policy, so
the versions shown always follow the rules in force, and says which captures' text changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from .errors import InvalidSelectorError
from .extraction import extract
from .models import Extraction, ExtractionRule, Policy, Progress
from .pipeline import ReextractChange, ReextractSummary, reextract
from .storage import Archive


def check_selector(selector: str) -> str:
    """``selector`` stripped, or InvalidSelectorError (a usage error) saying why it does not parse."""
    from lxml.cssselect import CSSSelector

    css = selector.strip()
    if not css:
        raise InvalidSelectorError(selector, "empty")
    try:
        CSSSelector(css, translator="html")  # as extraction.content.select reads it
    except Exception as exc:  # cssselect.SelectorError, ExpressionError (unsupported pseudo-class)
        raise InvalidSelectorError(selector, str(exc).splitlines()[0] or type(exc).__name__) from None
    return css


def make_rule(select: Sequence[str], remove: Sequence[str], valid_from: str = "") -> ExtractionRule:
    """A rule from the selectors a user typed (each checked), in force from ``valid_from``."""
    return ExtractionRule(
        valid_from=valid_from,
        select=tuple(check_selector(s) for s in select if s.strip()),
        remove=tuple(check_selector(s) for s in remove if s.strip()),
    )


def with_rule(rules: Sequence[ExtractionRule], rule: ExtractionRule) -> tuple[ExtractionRule, ...]:
    """``rules`` with ``rule`` added; it replaces a rule in force from the same time. Sorted by time."""
    kept = [r for r in rules if r.valid_from != rule.valid_from]
    return tuple(sorted([*kept, rule], key=lambda r: r.valid_from))


def without_rules(
    rules: Sequence[ExtractionRule], valid_from: str | None = None
) -> tuple[ExtractionRule, ...]:
    """``rules`` without the one in force from ``valid_from`` (None: without any)."""
    if valid_from is None:
        return ()
    return tuple(r for r in rules if r.valid_from != valid_from)


def change_rules(
    archive: Archive, policy: Policy, rules: Sequence[ExtractionRule]
) -> Iterator[Progress | ReextractChange]:
    """Store ``rules`` for ``policy`` and re-extract all its captures with them, yielding progress
    and each capture whose text changed (or could not be extracted again: its old text is kept)."""
    archive.set_rules(policy.id, rules)
    updated = replace(policy, rules=tuple(rules))
    # the user asked for these rules: their texts are stored at once (apply), not only reported
    for item in reextract(archive, updated, force=True, apply=True):
        if not isinstance(item, ReextractSummary):  # the changes say it all
            yield item


@dataclass(frozen=True, slots=True)
class RulePreview:
    """What a rule would make of one capture: the text, and how many elements each selector matches."""

    extraction: Extraction
    select_matches: tuple[tuple[str, int], ...]
    remove_matches: tuple[tuple[str, int], ...]

    @property
    def unmatched(self) -> tuple[str, ...]:
        """Selectors that match nothing on this capture."""
        return tuple(s for s, n in (*self.select_matches, *self.remove_matches) if n == 0)


def preview(body: bytes, content_type: str, rule: ExtractionRule) -> RulePreview:
    """Extract ``body`` with ``rule`` in force, whatever its date, and count each selector's matches.
    Raises ExtractionError (a PDF or an unreadable page) and InvalidSelectorError."""
    from .errors import ExtractionError
    from .extraction import sniff_kind
    from .extraction.content import select
    from .extraction.decoding import decode, gunzip_if_needed
    from .extraction.dom import parse

    for css in (*rule.select, *rule.remove):
        check_selector(css)
    body = gunzip_if_needed(body)
    kind = sniff_kind(body, content_type)
    if kind != "html":
        raise ExtractionError(f"rules apply to HTML pages; this capture is {kind.upper()}")
    result = extract(body, content_type, "", (replace(rule, valid_from=""),), "")
    root = parse(decode(body, content_type).text)

    def matches(part: str) -> int:
        return len(select(root, part))

    return RulePreview(
        result,
        tuple((part, matches(part)) for css in rule.select for part in selector_parts(css)),
        tuple((part, matches(part)) for css in rule.remove for part in selector_parts(css)),
    )


def selector_parts(css: str) -> list[str]:
    """The selectors of a selector list (``"main, #gone"`` -> ``["main", "#gone"]``), so that the
    one that matches nothing can be named; commas inside brackets, parentheses or quotes stay."""
    parts: list[str] = []
    depth = 0
    quote = ""
    current = ""
    for char in css:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return [p for p in parts if p]

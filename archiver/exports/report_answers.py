"""The evidence report's answers (issue 14): each side's stated date as the page writes it, and the
changes grouped by topic with the words that put them there. HTML only, every text escaped; the
rest of the report is ``report.py``."""

from __future__ import annotations

import html
from pathlib import Path

from ..analysis.topics import DEFAULT_WATCHLIST, TopicMatch, Watchlist, priority, tag_diff
from ..diffing import DiffResult, DiffRow
from ..extraction.dates import parse_stored
from ..extraction.quality import guess_language

_SNIPPET = 160


def stated_date_html(text: str, stated: str, language: str) -> str:
    """The stated date, its date lines and both readings of an ambiguous one, as a table cell."""
    e = html.escape
    found = parse_stored(text, language, stated) if stated else None
    if found is None:
        return "none found in the text"
    lines = "".join(
        f"<br>“{e(s.line)}” ({e(s.kind)}: "
        + (f"ambiguous, read {e(s.readings[0])}, or {e(s.readings[1])}" if s.ambiguous else e(s.iso))
        + ")"
        for s in found.statements
    )
    return e(stated) + lines


def _where(row: DiffRow) -> str:
    left = f"old line {row.left.line + 1}" if row.left is not None else ""
    right = f"new line {row.right.line + 1}" if row.right is not None else ""
    return ", ".join(x for x in (left, right) if x)


def _snippet(row: DiffRow) -> str:
    block = row.right if row.right is not None else row.left
    flat = " ".join(block.body.split()) if block is not None else ""
    return flat if len(flat) <= _SNIPPET else flat[: _SNIPPET - 1] + "…"


def topics_section_html(result: DiffResult, watchlist: Watchlist) -> str:
    """ "Changes by topic": one table per topic of the watchlist that a change touches, in watchlist
    order, listing each change (where, kind, priority, the matched words, a snippet)."""
    e = html.escape
    language = guess_language(result.right_text or result.left_text)
    tags = tag_diff(result, watchlist, language)
    grouped: dict[str, list[tuple[DiffRow, TopicMatch, int]]] = {}
    for row, matches in zip(result.rows, tags, strict=True):
        score = priority(matches).score
        for match in matches:
            grouped.setdefault(match.topic, []).append((row, match, score))
    shipped = not watchlist.source or Path(watchlist.source) == DEFAULT_WATCHLIST
    source = "shipped with policydiff" if shipped else e(watchlist.source)
    if not grouped:
        return f'<h2>Changes by topic</h2><p class="note">No change touches a topic of the watchlist ({source}).</p>'
    parts = [
        "<h2>Changes by topic</h2>",
        f'<p class="note">Topics from the watchlist {source}, matched in the {e(language or "unknown")} '
        "terms. Words in <b>bold</b> are inside the changed text; the others are in its unchanged "
        "context. A change's priority is the sum over its topics of weight × (2 per changed word + 1 "
        "per context word).</p>",
    ]
    for topic in watchlist.topics:
        found = grouped.get(topic.id)
        if not found:
            continue
        parts.append(f"<h3>{e(topic.name)} ({len(found)} change{'s' if len(found) != 1 else ''})</h3>")
        parts.append('<table class="meta"><tr><th>Where</th><th>Words</th><th>Change</th></tr>')
        for row, match, score in found:
            words = ", ".join(f"<b>{e(w)}</b>" if w in match.changed_words else e(w) for w in match.words)
            parts.append(
                f"<tr><td>{e(_where(row))}<br>{e(row.kind.value)}, priority {score}</td>"
                f"<td>{words}</td><td>{e(_snippet(row))}</td></tr>"
            )
        parts.append("</table>")
    return "".join(parts)

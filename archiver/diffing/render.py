"""Render a :class:`DiffResult` as JSON, as one self-contained HTML page, or as a terminal word diff."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from .model import Block, DiffResult, DiffRow, RowKind, Skipped, Span
from .views import changes_only
from .words import inline_ops

# --- JSON ------------------------------------------------------------------------------------------


def _block_json(block: Block | None) -> dict[str, Any] | None:
    if block is None:
        return None
    return {
        "kind": block.kind.value,
        "start": block.start,
        "end": block.end,
        "line": block.line + 1,
        "lines": block.lines,
        "text": block.text,
    }


def _spans_json(spans: tuple[Span, ...]) -> list[list[int]]:
    return [[s.start, s.end] for s in spans]


def to_json(result: DiffResult) -> dict[str, Any]:
    """A JSON-ready dict: ``same``, ``stats``, ``options`` and every row.

    Blocks carry their exact text (separators included), source offsets and 1-based first line;
    spans are ``[start, end)`` offsets into the block text.
    """
    return {
        "same": result.same,
        "stats": asdict(result.stats),
        "options": asdict(result.options),
        "rows": [
            {
                "kind": row.kind.value,
                "left": _block_json(row.left),
                "right": _block_json(row.right),
                "left_spans": _spans_json(row.left_spans),
                "right_spans": _spans_json(row.right_spans),
                "move_id": row.move_id,
                "similarity": round(row.similarity, 4),
                "group_id": row.group_id,
            }
            for row in result.rows
        ],
    }


def render_json(result: DiffResult) -> str:
    return json.dumps(to_json(result), indent=1, ensure_ascii=False) + "\n"


# --- terminal text ---------------------------------------------------------------------------------

_ANSI = {"-": "\x1b[31m", "+": "\x1b[32m", "@": "\x1b[36m", "end": "\x1b[0m"}


def _mark(op: str, text: str, color: bool) -> str:
    if op == "=":
        return text
    if color:
        return f"{_ANSI[op]}{text}{_ANSI['end']}"
    return f"[-{text}-]" if op == "-" else f"{{+{text}+}}"


def _header(row: DiffRow, color: bool) -> str:
    left = f"{row.left.line + 1}" if row.left is not None else "-"
    right = f"{row.right.line + 1}" if row.right is not None else "-"
    what = row.kind.value
    if row.group_id is not None:
        what = f"replace (split/merge group {row.group_id})"
    if row.kind is RowKind.MOVE:
        what = f"move #{row.move_id} {'from here' if row.left is not None else 'to here'}"
    text = f"@@ left {left}, right {right} @@ {what}"
    return f"{_ANSI['@']}{text}{_ANSI['end']}" if color else text


def _row_text(row: DiffRow, result: DiffResult, color: bool) -> str:
    kind = row.kind
    if kind is RowKind.EQUAL:
        assert row.right is not None
        return row.right.body
    if kind is RowKind.DELETE:
        assert row.left is not None
        return _mark("-", row.left.body, color)
    if kind is RowKind.INSERT:
        assert row.right is not None
        return _mark("+", row.right.body, color)
    if kind is RowKind.REPLACE and row.group_id is None:
        assert row.left is not None and row.right is not None
        ops = inline_ops(row.left.body, row.right.body, result.options)
        return "".join(_mark(op, text, color) for op, text in ops)
    if kind is RowKind.REPLACE:
        # part of a split/merge group: each side as it is, with the words the group's diff marks
        sides = []
        if row.left is not None:
            sides.append("< " + _marked_body(row.left, row.left_spans, "-", color))
        if row.right is not None:
            sides.append("> " + _marked_body(row.right, row.right_spans, "+", color))
        return "\n".join(sides)
    # a move half: the block as it is on its side, with the words that differ from the other half
    if row.left is not None:
        return _marked_body(row.left, row.left_spans, "-", color)
    assert row.right is not None
    return _marked_body(row.right, row.right_spans, "+", color)


def _marked_body(block: Block, spans: tuple[Span, ...], op: str, color: bool) -> str:
    pieces = []
    pos = 0
    for span in spans:
        pieces.append(block.body[pos : span.start])
        pieces.append(_mark(op, block.body[span.start : span.end], color))
        pos = span.end
    pieces.append(block.body[pos:])
    return "".join(pieces)


def render_text(result: DiffResult, context: int = 3, color: bool = False) -> str:
    """A word diff for terminals: changed rows with ``context`` unchanged blocks around them.

    Deleted words are ``[-like this-]`` and inserted ones ``{+like this+}`` (git's --word-diff
    notation), or red and green with ``color``.
    """
    if result.same:
        return ""
    s = result.stats
    out = [
        f"{s.words_removed} words removed, {s.words_added} added ({s.words_changed} changed), "
        f"{s.changed_ratio:.1%} of the text changed, {s.moved_blocks} blocks moved"
    ]
    previous: DiffRow | None = None  # the previous changed row, while changed rows follow each other
    for item in changes_only(result, context):
        if isinstance(item, Skipped):
            out.append(f"... {item.count} unchanged blocks ...")
            previous = None
            continue
        if item.kind is RowKind.EQUAL:
            previous = None
        else:
            # one header per run of rows of one kind (a deleted section is one hunk)
            if (
                previous is None
                or previous.kind is not item.kind
                or item.kind is RowKind.MOVE
                or previous.group_id != item.group_id
            ):
                out.append(_header(item, color))
            previous = item
        out.append(_row_text(item, result, color))
    return "\n\n".join(out) + "\n"


# --- HTML ------------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{padding:12px 16px;border-bottom:1px solid #d0d7de;background:#f6f8fa}
h1{font-size:16px;margin:0 0 4px}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td{vertical-align:top;padding:4px 10px;white-space:pre-wrap;overflow-wrap:anywhere;border-bottom:1px solid #eaeef2}
td.n{width:3.5em;color:#6e7781;text-align:right;font:12px monospace;padding-top:6px}
tr.delete td.l,tr.replace td.l,tr.move td.l{background:#ffebe9}
tr.insert td.r,tr.replace td.r,tr.move td.r{background:#e6ffec}
tr.move td.l:empty,tr.move td.r:empty{background:#fff}
del{background:#ff8182;text-decoration:none}
ins{background:#6fdd8b;text-decoration:none}
tr.skip td{background:#ddf4ff;color:#0969da;text-align:center;font-style:italic}
.mv{font-size:12px;color:#8250df;display:block}
"""


def _cell(block: Block | None, spans: tuple[Span, ...], tag: str) -> str:
    if block is None:
        return ""
    body = block.body
    pieces = []
    pos = 0
    for span in spans:
        pieces.append(html.escape(body[pos : span.start]))
        pieces.append(f"<{tag}>{html.escape(body[span.start : span.end])}</{tag}>")
        pos = span.end
    pieces.append(html.escape(body[pos:]))
    return "".join(pieces)


def html_rows(items: Iterable[DiffRow | Skipped]) -> Iterable[str]:
    """The ``<tr>`` rows of the side-by-side table, escaped; shared by ``render_html`` and reports."""
    for item in items:
        if isinstance(item, Skipped):
            yield f'<tr class="skip"><td colspan="4">{item.count} unchanged blocks</td></tr>'
            continue
        row = item
        left = _cell(row.left, row.left_spans, "del")
        right = _cell(row.right, row.right_spans, "ins")
        if row.kind is RowKind.MOVE:
            anchor = f"move-{row.move_id}-{'to' if row.left is not None else 'from'}"
            here = f"move-{row.move_id}-{'from' if row.left is not None else 'to'}"
            note = (
                f'<a class="mv" id="{here}" href="#{anchor}">moved {"down" if row.left else "from above"}</a>'
            )
            if row.left is not None:
                left = note + left
            else:
                right = note + right
        ln = row.left.line + 1 if row.left is not None else ""
        rn = row.right.line + 1 if row.right is not None else ""
        yield (
            f'<tr class="{row.kind.value}"><td class="n">{ln}</td><td class="l">{left}</td>'
            f'<td class="n">{rn}</td><td class="r">{right}</td></tr>'
        )


def render_html(
    result: DiffResult, left_title: str = "before", right_title: str = "after", context: int | None = None
) -> str:
    """One self-contained side-by-side page: inline CSS, no scripts, no remote resources, all text
    escaped. With ``context``, unchanged runs are collapsed to that many blocks around changes."""
    s = result.stats
    items: Iterable[DiffRow | Skipped] = result.rows if context is None else changes_only(result, context)
    summary = (
        "No differences."
        if result.same
        else f"{s.words_removed} words removed, {s.words_added} added ({s.words_changed} changed); "
        f"{s.changed_ratio:.1%} of the text changed; {s.moved_blocks} blocks moved."
    )
    title = f"{left_title} → {right_title}"
    return "".join(
        [
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">',
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
            f"<header><h1>{html.escape(title)}</h1><div>{html.escape(summary)}</div></header>",
            '<table><colgroup><col style="width:3.5em"><col><col style="width:3.5em"><col></colgroup>',
            f"<thead><tr><th></th><th>{html.escape(left_title)}</th><th></th><th>{html.escape(right_title)}</th>"
            "</tr></thead><tbody>",
            "\n".join(html_rows(items)),
            "</tbody></table></body></html>\n",
        ]
    )

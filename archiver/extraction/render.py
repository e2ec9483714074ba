"""A cleaned HTML subtree -> policy Markdown.

ATX headings, paragraphs, ordered and unordered lists (nested lists indented), bold and italic,
tables as pipe tables (layout tables as plain blocks), block quotes, fenced preformatted text, link
text without targets. Output depends only on the visible text and its structure: class names,
wrappers, attribute order and whitespace in the markup do not change it.
"""

from __future__ import annotations

import re

from .dom import CUT, Element, attr, pieces, text_of

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
#: Elements that start and end a block; anything else is inline (or transparent).
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "dir",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "menu", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "caption",
        "legend", "option", "frameset", "noframes", "listing", "plaintext", "xmp",
    }
)  # fmt: skip
_BOLD = frozenset({"b", "strong"})
_ITALIC = frozenset({"i", "em", "cite", "dfn", "var"})
_DROP = frozenset(
    {
        "script", "style", "noscript", "template", "head", "title", "meta", "link", "base", "img", "svg",
        "math", "canvas", "video", "audio", "source", "track", "picture", "iframe", "object", "embed",
        "input", "select", "textarea", "map", "area", "param", "wbr", CUT,
    }
)  # fmt: skip
_WS = re.compile(r"[ \t\n\r\f\v]+")
_LINE_START_ESCAPE = re.compile(r"^(#{1,6}(?=\s)|[-+*](?=\s)|\d{1,9}[.)](?=\s)|>|={3,}\s*$|-{3,}\s*$)")


class _Out:
    """Blocks of Markdown being built, with the paragraph in progress."""

    __slots__ = ("blocks", "para")

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.para: list[str] = []

    def flush(self, escape: bool = True) -> None:
        if self.para:
            text = _finish_inline("".join(self.para), escape)
            self.para = []
            if text:
                self.blocks.append(text)

    def block(self, text: str) -> None:
        self.flush()
        if text:
            self.blocks.append(text)


_SPACES = re.compile(r" {2,}")
_ADJACENT_BOLD = re.compile(r"\*\*( ?)\*\*")
_ADJACENT_ITALIC = re.compile(r"(?<![*\\])\* \*(?!\*)")


def _finish_inline(text: str, escape: bool = True) -> str:
    """Collapse spaces around the line breaks of one paragraph; escape a misleading line start.

    Emphasis split over adjacent elements (``<b>Pri</b><b>vacy</b>``) is one run, as it looks."""
    if "*" in text:
        text = _ADJACENT_ITALIC.sub(" ", _ADJACENT_BOLD.sub(r"\1", text))
    lines = [_SPACES.sub(" ", part).strip() for part in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line:
            out.append(_LINE_START_ESCAPE.sub(_escape, line) if escape else line)
    return "\n".join(out)


def _escape(match: re.Match[str]) -> str:
    """Backslash-escape a line start that Markdown would read as a heading, list, quote or rule."""
    text = match.group(0)
    if text[0].isdigit():
        return text[:-1] + "\\" + text[-1]  # 1. -> 1\.
    return "\\" + text


def render_markdown(root: Element) -> str:
    out = _Out()
    _walk(root, out)
    out.flush()
    return "\n\n".join(out.blocks)


def render_element(el: Element) -> str:
    """``el`` itself (not only its content) as Markdown: a heading stays a heading."""
    out = _Out()
    _element(el, out)
    out.flush()
    return "\n\n".join(out.blocks)


def _walk(node: Element, out: _Out) -> None:
    for piece in pieces(node):
        if isinstance(piece, str):
            out.para.append(_WS.sub(" ", piece))
        else:
            _element(piece, out)


def _element(el: Element, out: _Out) -> None:
    name = el.tag
    if name in _DROP:
        return
    if name == "br":
        out.para.append("\n")
    elif name in _HEADINGS:
        text = _inline_text(el)
        if text:
            out.block("#" * _HEADINGS[name] + " " + text.replace("\n", " "))
    elif name == "p":
        out.flush()
        _walk(el, out)
        out.flush()
    elif name in ("ul", "ol", "menu", "dir"):
        out.block(_list(el, ordered=name == "ol"))
    elif name == "li":  # an item outside a list
        out.block(_list_item(el, "- "))
    elif name == "table":
        out.block(_table(el))
    elif name == "blockquote":
        inner = _blocks(el)
        if inner:
            out.block("\n".join("> " + line if line else ">" for line in inner.split("\n")))
    elif name in ("pre", "xmp", "listing", "plaintext"):
        text = text_of(el).strip("\n")
        if text.strip():
            out.block("```\n" + "\n".join(line.rstrip() for line in text.split("\n")) + "\n```")
    elif name == "hr":
        out.block("---")
    elif name in _BOLD or name in _ITALIC:
        _emphasis(el, out, "**" if name in _BOLD else "*")
    elif name == "a" and _is_permalink(el):
        return
    elif name in BLOCK_TAGS:
        out.flush()
        _walk(el, out)
        out.flush()
    else:
        _walk(el, out)


#: Text of the "link to this heading" anchors docs sites add (shown on hover).
_PERMALINK_TEXT = frozenset({"#", "¶", "§", "🔗", "link", "permalink", "anchor", "#️⃣"})


def _is_permalink(el: Element) -> bool:
    if not attr(el, "href").startswith("#"):
        return False
    text = text_of(el).strip().lower()
    return text in _PERMALINK_TEXT


def _emphasis(el: Element, out: _Out, mark: str) -> None:
    sub = _Out()
    _walk(el, sub)
    if sub.blocks:  # emphasis around blocks: the blocks win, the emphasis goes
        out.flush()
        sub.flush()
        out.blocks.extend(sub.blocks)
        return
    raw = "".join(sub.para)
    inner = raw.strip(" ")
    if not inner.strip():
        out.para.append(raw)
        return
    if inner.startswith(mark) and inner.endswith(mark) or "\n" in inner:
        out.para.append(raw)  # already emphasised (nested b in b) or spans lines: keep it plain
        return
    lead = " " if raw.startswith(" ") else ""
    trail = " " if raw.endswith(" ") else ""
    out.para.append(f"{lead}{mark}{inner}{mark}{trail}")


def _inline_text(el: Element) -> str:
    """An element's content as one paragraph (blocks joined by spaces)."""
    sub = _Out()
    _walk(el, sub)
    sub.flush(escape=False)
    return " ".join(b.replace("\n", " ") for b in sub.blocks).strip()


def _blocks(el: Element) -> str:
    sub = _Out()
    _walk(el, sub)
    sub.flush()
    return "\n\n".join(sub.blocks)


def _list(el: Element, ordered: bool) -> str:
    items: list[str] = []
    start_attr = attr(el, "start")
    number = int(start_attr) if ordered and start_attr.isdigit() else 1
    loose = _Out()
    for child in pieces(el):
        if isinstance(child, str):
            loose.para.append(_WS.sub(" ", child))
        elif child.tag == "li":
            if loose.para or loose.blocks:
                loose.flush()
                items.extend(loose.blocks)
                loose = _Out()
            marker = f"{number}. " if ordered else "- "
            item = _list_item(child, marker)
            if item:
                items.append(item)
                number += 1
        else:
            _element(child, loose)  # nested list or stray content directly in the list
    loose.flush()
    items.extend(loose.blocks)
    return "\n".join(items)


def _list_item(el: Element, marker: str) -> str:
    sub = _Out()
    _walk(el, sub)
    sub.flush()
    if not sub.blocks:
        return ""
    indent = " " * len(marker)
    lines = "\n".join(sub.blocks).split("\n")
    return marker + lines[0] + "".join("\n" + (indent + line if line else "") for line in lines[1:])


def _rows(table: Element) -> list[Element]:
    rows: list[Element] = []
    for child in table:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child if c.tag == "tr")
    return rows


_LAYOUT_SIGNS = ["table", "h1", "h2", "h3", "h4", "h5", "h6"]


def _table(table: Element) -> str:
    rows = _rows(table)
    grid: list[list[str]] = []
    layout = table.get("role") in ("presentation", "none")
    for row in rows:
        cells: list[str] = []
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            if next(cell.iterdescendants(*_LAYOUT_SIGNS), None) is not None:
                layout = True  # tables or headings inside cells: a page layout, not data
            text = _blocks(cell)
            cells.append(text)
            span = attr(cell, "colspan")
            if span.isdigit():
                cells.extend([""] * max(0, min(int(span), 50) - 1))
        if any(c.strip() for c in cells):
            grid.append(cells)
    caption = table.find("caption")  # a child, as lxml's find looks
    caption_text = _inline_text(caption) if caption is not None else ""
    width = max((len(r) for r in grid), default=0)
    if not grid:
        return caption_text
    sizes = sorted((len(c) for r in grid for c in r), reverse=True)
    if sizes and sizes[0] > 2000 and sizes[0] > 0.6 * sum(sizes):
        layout = True  # one cell holds the page's text beside menus: a layout column
    if layout or width < 2:
        blocks = [c for r in grid for c in r if c.strip()]
        return "\n\n".join(([caption_text] if caption_text else []) + blocks)
    lines: list[str] = []
    for i, grid_row in enumerate(grid):
        row_cells = [c.replace("\n\n", "<br>").replace("\n", "<br>").replace("|", "\\|") for c in grid_row]
        row_cells += [""] * (width - len(row_cells))
        lines.append("| " + " | ".join(row_cells) + " |")
        if i == 0:
            lines.append("|" + "|".join([" --- "] * width) + "|")
    return "\n\n".join(([caption_text] if caption_text else []) + ["\n".join(lines)])

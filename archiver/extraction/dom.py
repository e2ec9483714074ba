"""The parsed page: lxml elements, and the few operations extraction needs on them.

Pages are parsed by lxml's HTML parser (libxml2) into plain ``etree`` elements: 1.3 ms per 500 KB
of page, where building BeautifulSoup's tree over the same parser took about 20 ms, half of a
whole extraction (docs/performance.md, "Extraction"). Text lives in ``el.text`` (before the first
child) and ``child.tail`` (after each child); :func:`pieces` gives both in page order, as a reader
meets them. Comments and processing instructions are dropped by the parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from ..errors import ExtractionError

#: An lxml element (lxml ships no type information).
Element = Any

#: The tag an element removed by :func:`cut` takes: it holds nothing, and walks pass it by.
CUT = "policydiff-cut"


#: A leading XML declaration (XHTML): decode() has read its encoding, and lxml refuses a str that
#: declares one.
_XML_DECLARATION = re.compile(r"\A[\s\ufeff]*<\?xml\b[^>]*>")


_EMPTY_PAGE = "<html><body></body></html>"


def parse(markup: str) -> Element:
    """The page's root element (``<html>``; an empty page's when the markup holds no element, only
    a doctype or nothing); ExtractionError for a page past the parser's limits. The parser recovers
    from broken markup as BeautifulSoup's lxml builder had it do, so the tree is the one extraction
    was tuned on."""
    markup = _XML_DECLARATION.sub("", markup, count=1)
    parser = etree.HTMLParser(recover=True, remove_comments=True, remove_pis=True)
    root = etree.fromstring(markup, parser) if markup.strip() else None
    for error in parser.error_log:
        # libxml2 stops reading past its limits (256 levels of nesting): what it leaves out may be
        # the policy, so the page is refused rather than read in part
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            nested = "depth" in error.message
            raise ExtractionError(
                "HTML nested too deeply to extract" if nested else f"HTML too large: {error.message}"
            )
    return root if root is not None else etree.fromstring(_EMPTY_PAGE, parser)


def pieces(el: Element) -> Iterator[str | Element]:
    """``el``'s content in page order: strings of text and child elements."""
    if el.text:
        yield el.text
    for child in el:
        yield child
        if child.tail:
            yield child.tail


def text_of(el: Element) -> str:
    """All the text under ``el`` (not its tail), as a reader would select it."""
    return "".join(el.itertext())


def words_of(el: Element) -> list[str]:
    """The whitespace-separated words under ``el``; a word never spans two text pieces."""
    return [word for piece in el.itertext() for word in piece.split()]


def descendant(el: Element, *tags: str) -> Element | None:
    """The first element under ``el`` (not ``el`` itself) with one of ``tags``, in page order."""
    return next(el.iterdescendants(*tags), None)


def attr(el: Element, name: str) -> str:
    """An attribute's value, "" when absent (a class list with its whitespace collapsed)."""
    value = el.get(name)
    if value is None:
        return ""
    return " ".join(value.split()) if name == "class" else str(value)


def names_of(el: Element) -> str:
    """``el``'s id and classes, in one string for name patterns ("" when it has neither)."""
    ident, classes = attr(el, "id"), attr(el, "class")
    return f"{ident} {classes}" if ident or classes else ""


def cut(el: Element) -> None:
    """Remove ``el`` and what it holds; the text after it stays where it was. The element stays as
    an empty :data:`CUT` marker rather than leaving the tree: detaching merges the text before and
    after it into one string, which would join two words ("a<span/>b" must stay two pieces)."""
    el.clear(keep_tail=True)
    el.tag = CUT


def replace_keeping_tail(old: Element, new: Element) -> None:
    """Put ``new`` (taken from wherever it is) in ``old``'s place; the text after ``old`` stays."""
    new.tail = old.tail
    parent = old.getparent()
    if parent is None:
        return
    parent.replace(old, new)

"""HTML text -> policy Markdown, title and declared language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

from ..errors import ExtractionError
from ..models import ExtractionRule
from .content import apply_rules, clean, main_content, policy_heading
from .markdown import collapse_spaces
from .render import render_element, render_markdown

#: Elements whose content is never text, removed before parsing (cheap, and `<noscript>` first:
#: ``<noscript><iframe/></noscript>`` derails HTML parsers, PERFORMANCE.md).
_PREPASS = re.compile(
    r"<!--\s*BEGIN WAYBACK TOOLBAR INSERT\s*-->.*?<!--\s*END WAYBACK TOOLBAR INSERT\s*-->|<noscript\b.*?</noscript\s*>|<script\b.*?</script\s*>|<style\b.*?</style\s*>|<template\b.*?</template\s*>"
    r"|<svg\b.*?</svg\s*>|<!--.*?-->",
    re.I | re.S,
)
#: A leading XML declaration (XHTML): decode() has read its encoding; left in, bs4 takes a long
#: XHTML head for an XML document and warns on every such page.
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*>")
#: Elements cut before parsing when their start and end tags balance (nested ones included).
_CUT_BALANCED = re.compile(r"<(/?)(nav|aside|select|svg|math|dialog)\b[^>]*>", re.I)
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.I | re.S)
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=", re.I)
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.I)
#: The empty element a single-page app renders into: React's #root, Vue's #app, Next's #__next,
#: Nuxt's #__nuxt, Gatsby's #___gatsby, Angular's <app-root>.
_APP_ROOT = re.compile(
    r"<div\b[^>]*?\bid\s*=\s*[\"']?(?:root|app|__next|__nuxt|___gatsby|svelte|react-root|app-root)"
    r"(?=[\"'\s/>])[^>]*>\s*</div\s*>|<app-root\b[^>]*>\s*</app-root\s*>",
    re.I,
)


@dataclass(frozen=True, slots=True)
class HtmlText:
    markdown: str
    title: str
    declared_language: str
    script_chars: int  # characters of inline script in the page (JavaScript-shell heuristic)
    html_chars: int
    app_root: bool = False  # an empty single-page-app mount point (JavaScript-shell heuristic)
    rule_unmatched: bool = False  # the policy's rule selected nothing: the automatic path ran


def html_to_markdown(html: str, rules: tuple[ExtractionRule, ...] = (), timestamp: str = "") -> HtmlText:
    lang_match = _LANG.search(html[:5000])
    # NUL is ignored by browsers in text but lxml turns it into U+FFFD
    stripped = _cut_balanced(_PREPASS.sub(" ", _XML_DECLARATION.sub("", html.replace("\x00", ""), count=1)))
    try:
        soup = BeautifulSoup(stripped, "lxml")
    except Exception as exc:  # lxml/bs4 raise assorted errors on pathological input
        raise ExtractionError(f"cannot parse HTML: {type(exc).__name__}: {exc}") from None
    title_tag = soup.find("title")
    title = collapse_spaces(title_tag.get_text()) if isinstance(title_tag, Tag) else ""
    try:
        chosen = apply_rules(soup, rules, timestamp)
        rule_unmatched = chosen is not None and not chosen
        if chosen:
            parts = []
            for el in chosen:
                clean(el, in_section=True)
                parts.append(render_markdown(el))
            markdown = "\n\n".join(p for p in parts if p)
        else:
            body = soup.find("body")
            root = body if isinstance(body, Tag) else soup
            clean(root)
            content = main_content(root)
            heading = policy_heading(content)
            markdown = render_markdown(content)
            if heading is not None:
                markdown = render_element(heading) + "\n\n" + markdown
    except RecursionError:
        raise ExtractionError("HTML nested too deeply to extract") from None
    script_chars = 0
    app_root = False
    if len(markdown) < 3000:  # only a near-empty page can be a JavaScript shell: measure its scripts
        script_chars = sum(len(m) for m in _SCRIPT.findall(html)) + 2000 * len(_SCRIPT_SRC.findall(html))
        app_root = _APP_ROOT.search(html) is not None
    return HtmlText(
        markdown=markdown,
        title=title,
        declared_language=lang_match.group(1).lower() if lang_match else "",
        script_chars=script_chars,
        html_chars=len(html),
        app_root=app_root,
        rule_unmatched=rule_unmatched,
    )


def _cut_balanced(html: str) -> str:
    """Remove nav, aside, select, svg, math and dialog elements whose tags balance; unbalanced ones
    are left for the parser and :func:`clean` (the result is the same, only cheaper)."""
    pieces: list[str] = []
    last = 0
    open_name = ""
    depth = 0
    start = 0
    for match in _CUT_BALANCED.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if not open_name:
            if closing or match.group(0).endswith("/>"):
                continue
            open_name, depth, start = name, 1, match.start()
        elif name == open_name:
            depth += -1 if closing else (0 if match.group(0).endswith("/>") else 1)
            if depth == 0:
                pieces.append(html[last:start])
                pieces.append(" ")
                last = match.end()
                open_name = ""
    if not pieces:
        return html
    pieces.append(html[last:])
    return "".join(pieces)

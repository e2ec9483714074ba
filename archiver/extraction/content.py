"""Find a policy's main content in a parsed page, with no per-site configuration.

1. Remove what is never policy text, by structure rather than by site: navigation, site headers
   and footers (outside ``article``/``main``/``section``), asides, small forms, dialogs, ARIA
   landmarks that are not content, hidden elements (except accordion panels a toggle controls),
   cookie/consent banners (consent-manager names, short "cookie banner"-like containers) and Wayback
   toolbar remnants. A page banner that holds the ``<h1>`` is replaced by that heading.
2. Count, bottom-up in one pass, the words each element holds outside links.
3. Descend from ``<body>`` into the child that holds nearly all (``DESCENT_SHARE``) of the page's
   words outside links while one does; the element where the descent stops is the policy.
   Navigation lists and link farms hold few words outside links, so they never pull the descent;
   a policy is the one place on its page where prose concentrates.
4. When the policy's title (the ``<h1>``) sits before that element, in a page banner or hero, it is
   put back in front.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from ..errors import ExtractionError
from ..models import ExtractionRule
from .dom import (
    CUT,
    Element,
    cut,
    descendant,
    names_of,
    pieces,
    replace_keeping_tail,
    text_of,
    words_of,
)

#: Share of the page's prose a child must hold for the descent to continue into it.
DESCENT_SHARE = 0.86

_ALWAYS_DROP = frozenset(
    {
        "script", "style", "noscript", "template", "nav", "aside", "dialog", "select",
        "input", "textarea", "iframe", "object", "embed", "svg", "canvas", "video", "audio", "head",
        "menu", "label", "option", "datalist", "output", "progress", "meter",
    }
)  # fmt: skip
_SECTIONING = frozenset({"article", "main", "section"})
_LANDMARK_ROLES = frozenset(
    {
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "dialog",
        "alertdialog",
        "search",
        "menu",
        "menubar",
        "toolbar",
        "tablist",
        "alert",
    }
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
#: Class tokens (exact, lower-cased) of page furniture that is not the policy.
_FURNITURE_CLASSES = frozenset(
    {
        "breadcrumb", "breadcrumbs", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text",
        "screen-reader-only", "skip-link", "skip-links", "skiplink", "skip-to-content", "share-buttons",
        "social-share", "social-links", "sharedaddy", "print-only", "cc-window", "cc-banner", "qc-cmp2-container", "osano-cm-window", "cky-consent-container",
        "cmplz-cookiebanner", "cookie-notice-container", "wm-ipp-base",
    }
)  # fmt: skip
#: id/class of cookie and consent banners (consent-management vendors and "cookie banner" names)
#: and of Wayback toolbar remnants. A banner is short: longer matches are policy sections about cookies.
_BANNER = re.compile(
    r"onetrust|ot-sdk|didomi|axeptio|tarteaucitron|cookiebot|cybotcookiebot|usercentrics|truste-|trustarc|"
    r"osano|iubenda|termly|cookieyes|cookie-law-info|cookielawinfo|cmplz|borlabs|sp_message|qc-cmp|"
    r"(?:cookie|cookies|consent|gdpr|cmp|privacy)[-_ ]?(?:banner|notice|bar|popup|pop-up|modal|overlay|alert|"
    r"law|message|dialog|prompt|wall|box|consent|disclaimer|warning|info|layer|container|wrapper|manager|settings|preferences)|"
    r"(?:banner|notice)[-_]?(?:cookie|consent)|^wm-ipp|^wm-|donato|__wb_|wb-autocomplete",
    re.I,
)
_BANNER_MAX_CHARS = 4000
#: Conventional class/id names of page furniture built from plain ``div``s (HTML4-era templates).
_SIDEBAR_NAMES = frozenset(
    {
        "sidebar",
        "site-sidebar",
        "left-sidebar",
        "right-sidebar",
        "navbar",
        "site-nav",
        "main-nav",
        "site-navigation",
        "main-navigation",
        "main-menu",
        "nav-menu",
        "menu-main",
        "mega-menu",
        "topnav",
        "subnav",
    }
)
_FOOTER_NAMES = frozenset(
    {"footer", "site-footer", "page-footer", "global-footer", "main-footer", "footer-wrapper", "colophon"}
)
_HEADER_NAMES = frozenset(
    {
        "header",
        "site-header",
        "page-header-nav",
        "global-header",
        "main-header",
        "masthead",
        "top-bar",
        "topbar",
    }
)
_NEVER_BY_NAME = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "li",
        "td",
        "th",
        "tr",
        "table",
        "a",
        "strong",
        "b",
        "em",
        "i",
        "ul",
        "ol",
        "dt",
        "dd",
    }
)
#: A form with more text than this wraps the page (ASP.NET WebForms does): keep it.
_FORM_MAX_CHARS = 500
_PROSE_TAGS = ["p", "h1", "h2", "h3", "h4", "li", "td"]
#: A hidden element holding more than this share of the page's text is the page itself, hidden
#: until its script has run (Meta's site stack wraps the whole page in ``visibility: hidden``):
#: a reader sees it, so it is kept.
_HIDDEN_PAGE_SHARE = 0.5
_HEADING_NAMES = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "summary"})


class _Page:
    """Facts about the whole page that element decisions need, computed on first use."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self._controlled: set[str] | None = None
        self._chars: int | None = None

    def holds_most(self, el: Element) -> bool:
        """``el`` holds more than _HIDDEN_PAGE_SHARE of the page's text."""
        if self._chars is None:
            self._chars = len(text_of(self.root))
        return len(text_of(el)) > _HIDDEN_PAGE_SHARE * self._chars

    def controlled(self) -> set[str]:
        """ids of elements that a toggle (``aria-controls``) shows and hides: accordion panels."""
        if self._controlled is None:
            ids: set[str] = set()
            for el in self.root.iter():
                value = el.get("aria-controls")
                if value:
                    ids.update(value.split())
            self._controlled = ids
        return self._controlled


def _is_boilerplate(el: Element, in_section: bool, page: _Page) -> bool | str:
    """False to keep ``el``; True to drop it; "banner" for a page banner (it may hold the title);
    "hidden" for a hidden element (dropped unless it holds most of the page)."""
    name = el.tag
    if name in _ALWAYS_DROP:
        return True
    attrs = el.attrib
    if name == "form":  # a search or sign-up form, unless it wraps the page's text (ASP.NET)
        return (
            len(text_of(el)) < _FORM_MAX_CHARS or len(list(islice(el.iterdescendants(*_PROSE_TAGS), 3))) < 3
        )
    if name == "button":  # an accordion toggle or a heading's button is the section's title
        parent = el.getparent()
        keep = (
            "aria-expanded" in attrs
            or "aria-controls" in attrs
            or (parent is not None and parent.tag in _HEADING_NAMES)
        )
        return not keep
    if name == "header" and not in_section:
        return "banner"
    if name == "footer" and not in_section:
        return True
    if not attrs:
        return False
    if attrs.get("aria-modal") == "true":
        return True
    if "hidden" in attrs or attrs.get("aria-hidden") == "true" or _hidden_style(attrs.get("style")):
        # a collapsed accordion panel is policy text one click away; anything else hidden goes,
        # unless it holds most of the page (see _HIDDEN_PAGE_SHARE)
        ident = attrs.get("id")
        return "hidden" if not (ident is not None and ident in page.controlled()) else False
    role = attrs.get("role")
    if role is not None and role.lower() in _LANDMARK_ROLES:
        return "banner" if role.lower() == "banner" else True
    if name in _NEVER_BY_NAME:
        return False
    classes = attrs.get("class")
    tokens = set(classes.lower().split()) if classes else set()
    if tokens & _FURNITURE_CLASSES or any("breadcrumb" in t for t in tokens):
        return True
    ident = attrs.get("id")
    if ident is not None:
        tokens.add(ident.lower())
    if tokens & _SIDEBAR_NAMES:
        return True
    if not in_section and tokens & _FOOTER_NAMES:
        return True
    if not in_section and tokens & _HEADER_NAMES:
        return "banner"
    names = names_of(el)
    if names.strip() and _BANNER.search(names):
        return len(text_of(el)) < _BANNER_MAX_CHARS
    return False


def _hidden_style(style: object) -> bool:
    return isinstance(style, str) and _HIDDEN_STYLE.search(style) is not None


def clean(root: Element, in_section: bool = False) -> None:
    """Remove boilerplate elements from ``root`` in place (one walk, iterative). ``in_section``:
    ``root`` is already known to be content (a rule's selection), so its headers and footers stay."""
    page = _Page(root)
    doomed: list[Element] = []
    banners: list[Element] = []
    stack: list[tuple[Element, bool]] = [(root, in_section or root.tag in _SECTIONING)]
    while stack:
        node, in_section = stack.pop()
        for child in node:
            if child.tag == CUT:
                continue
            verdict = _is_boilerplate(child, in_section, page)
            if verdict == "hidden" and page.holds_most(child):
                verdict = False
            if verdict == "banner":
                banners.append(child)
            elif verdict:
                doomed.append(child)
            else:
                stack.append((child, in_section or child.tag in _SECTIONING))
    for el in doomed:
        cut(el)
    for el in banners:
        title = _banner_title(el)
        if title is not None:
            clean(title)
            replace_keeping_tail(el, title)
        else:
            cut(el)


_INVISIBLE = frozenset(
    {"script", "style", "noscript", "template", "head", "svg", "canvas", "select", "option"}
)


def strip_invisible(root: Element) -> None:
    """Remove what a reader never sees (scripts, styles, hidden elements except a page hidden
    until its script runs, see _HIDDEN_PAGE_SHARE) and consent banners, which are never the
    policy: the fallback's view of a page."""
    page = _Page(root)
    doomed: list[Element] = []
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node:
            if child.tag == CUT:
                continue
            attrs = child.attrib
            hidden = (
                "hidden" in attrs or attrs.get("aria-hidden") == "true" or _hidden_style(attrs.get("style"))
            )
            names = names_of(child)
            banner = bool(names.strip()) and _BANNER.search(names) is not None
            if child.tag in _INVISIBLE or banner or (hidden and not page.holds_most(child)):
                doomed.append(child)
            else:
                stack.append(child)
    for el in doomed:
        cut(el)


def _spaced_text(el: Element) -> str:
    """The text under ``el``, its pieces stripped and joined by single spaces."""
    return " ".join(piece.strip() for piece in el.itertext() if piece.strip())


def _banner_title(banner: Element) -> Element | None:
    """A page banner's ``<h1>``, when it is a heading and not a logo link: templates put the
    policy's title there."""
    h1 = descendant(banner, "h1")
    if h1 is None:
        return None
    text = _spaced_text(h1)
    links = " ".join(_spaced_text(a) for a in h1.iterdescendants("a"))
    if not text or len(links) >= len(text) or len(text.split()) > 30:
        return None
    return h1


def _prose_counts(root: Element) -> dict[Element, tuple[int, int]]:
    """(words outside links, all words) for every element under ``root``. The dict holds the
    elements themselves: lxml keeps one Python object per element only while it is referenced."""
    counts: dict[Element, tuple[int, int]] = {}

    def visit(el: Element, in_link: bool) -> tuple[int, int]:
        prose = words = 0
        link = in_link or el.tag == "a"
        for piece in pieces(el):
            if isinstance(piece, str):
                n = len(piece.split())
                words += n
                if not link:
                    prose += n
            else:
                p, w = visit(piece, link)
                prose += p
                words += w
        counts[el] = (prose, words)
        return prose, words

    visit(root, False)
    return counts


def policy_heading(content: Content) -> Element | None:
    """The page's ``<h1>`` before ``content`` when ``content`` has none: the policy's title, which
    page templates often put in a banner apart from the text."""
    elements = content.elements()
    if any(el.tag == "h1" or descendant(el, "h1") is not None for el in elements):
        return None
    earlier = elements[0].xpath("(ancestor::h1 | preceding::h1)[last()]")
    if earlier and 0 < len(text_of(earlier[0]).split()) <= 30:
        return earlier[0]
    return None


@dataclass(frozen=True, slots=True)
class Content:
    """The policy on a page: its ``main`` element and the prose blocks around it, in page order."""

    before: list[Element]
    main: Element
    after: list[Element]

    def elements(self) -> list[Element]:
        return [*self.before, self.main, *self.after]


def main_content(root: Element) -> Content:
    """The elements holding the policy: the deepest element with nearly all of the page's prose,
    and the prose blocks beside it on the way down (see :func:`_prose_block`)."""
    counts = _prose_counts(root)
    total = counts.get(root, (0, 0))[0]
    node = root
    if total == 0:
        return Content([], root, [])
    levels: list[tuple[list[Element], list[Element]]] = []  # prose blocks before and after, per level
    articles: list[bool] = []  # per level: the chain is inside an <article> there
    in_article = False
    while True:
        best: Element | None = None
        for child in node:
            if counts[child][0] >= DESCENT_SHARE * total:
                best = child
                break
        if best is None:
            break
        before: list[Element] = []
        after: list[Element] = []
        side = before
        for child in node:
            if child is best:
                side = after
            elif _prose_block(counts[child]):
                side.append(child)
        levels.append((before, after))
        in_article = in_article or node.tag == "article"
        articles.append(in_article)
        node = best
    # near the policy's container, or inside its <article>, any prose block is the policy's;
    # further out only its title block
    keep = [
        ([el for el in b if _sibling_kept(el, near)], [el for el in a if _sibling_kept(el, near)])
        for near, (b, a) in zip(
            (
                up <= SIBLING_LEVELS or art
                for up, art in zip(range(len(levels), 0, -1), articles, strict=True)
            ),
            levels,
            strict=True,
        )
    ]
    return Content([el for b, _ in keep for el in b], node, [el for _, a in reversed(keep) for el in a])


#: A sibling of the policy's container is part of the policy when at most this share of its words
#: are in links: the title, the date line, an intro or a second block of the policy are prose,
#: where breadcrumbs, menus, "share" rows and link lists left after cleaning are mostly links.
SIBLING_LINK_SHARE = 0.34
#: Prose blocks up to this many levels above the policy's container, or inside the ``<article>``
#: that holds it, are the policy's (its intro, date line, a first block in a container of its
#: own); further out, only a block with the page's ``<h1>`` is (the title and date in a page
#: header), of at most TITLE_BLOCK_WORDS words.
SIBLING_LEVELS = 2
TITLE_BLOCK_WORDS = 80
#: Class or id words of the widgets that sit beside a policy: pop-ups, calls to action, feedback
#: prompts, tables of contents.
_WIDGET = re.compile(
    r"pop-?up|popout|modal|overlay|cookie|consent|newsletter|subscribe|feedback|helpful|rating|share|"
    r"social|\btoc\b|table-of-contents|breadcrumb|\bcta|announcement|promo",
    re.I,
)


def _sibling_kept(el: Element, near: bool) -> bool:
    names = names_of(el)
    if names.strip() and _WIDGET.search(names):
        return False
    if text_of(el).rstrip().endswith(":"):
        return False  # a label whose widget was removed ("Your search:")
    if near:
        return True
    has_title = el.tag == "h1" or descendant(el, "h1") is not None
    return has_title and len(words_of(el)) <= TITLE_BLOCK_WORDS


def _prose_block(count: tuple[int, int]) -> bool:
    prose, words = count
    return prose > 0 and words - prose <= SIBLING_LINK_SHARE * words


def apply_rules(root: Element, rules: tuple[ExtractionRule, ...], timestamp: str) -> list[Element] | None:
    """Apply the latest rule in force at ``timestamp``: remove its selectors, return its selection.

    Returns None when no rule applies or the rule has no ``select`` (the automatic path then runs
    on what is left), and an empty list when the rule's selectors match nothing (the page changed:
    the caller falls back to the automatic path and flags it). Selections come in document order,
    each once. A malformed selector is an ExtractionError naming it."""
    rule = rule_in_force(rules, timestamp)
    if rule is None:
        return None
    for selector in rule.remove:
        for el in select(root, selector):
            cut(el)
    if not rule.select:
        return None
    matched = {el for selector in rule.select for el in select(root, selector)}
    # the outermost matches, in document order (a selection inside another is not repeated)
    return [el for el in root.iter() if el in matched and not any(p in matched for p in el.iterancestors())]


def select(root: Element, selector: str) -> list[Element]:
    """The elements under ``root`` that a CSS selector matches, in page order (cssselect, as
    ``lxml.cssselect`` uses it, with HTML's case rules); ExtractionError when it does not parse."""
    from lxml.cssselect import CSSSelector  # cssselect loads only where a rule is set

    try:
        matcher = CSSSelector(selector, translator="html")
    except Exception as exc:  # cssselect.SelectorError, ExpressionError (unsupported pseudo-class)
        raise ExtractionError(
            f"bad CSS selector {selector!r} in the policy's extraction rule: {str(exc).splitlines()[0]}"
        ) from None
    return [el for el in matcher(root) if el.tag != CUT]


def rule_in_force(rules: tuple[ExtractionRule, ...], timestamp: str) -> ExtractionRule | None:
    """The rule with the latest ``valid_from`` not after ``timestamp`` ("" applies always)."""
    best: ExtractionRule | None = None
    for rule in rules:
        if rule.valid_from and timestamp and rule.valid_from[: len(timestamp)] > timestamp:
            continue
        if rule.valid_from and not timestamp:
            continue
        if best is None or rule.valid_from >= best.valid_from:
            best = rule
    return best

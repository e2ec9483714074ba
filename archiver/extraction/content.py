"""Find a policy's main content in a parsed page, with no per-site configuration.

1. Remove what is never policy text: navigation, site headers and footers, asides, forms, dialogs,
   cookie/consent banners, hidden elements and Wayback toolbar remnants.
2. Count, bottom-up in one pass, the words each element holds outside links.
3. Descend from ``<body>`` into the child that holds nearly all of the page's words outside links
   while one does; the element where the descent stops is the policy. Navigation lists and link
   farms hold few words outside links, so they never pull the descent; a policy is the one place
   on its page where prose concentrates.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

from ..models import ExtractionRule

#: Share of the page's prose a child must hold for the descent to continue into it.
DESCENT_SHARE = 0.86

_ALWAYS_DROP = frozenset(
    {
        "script", "style", "noscript", "template", "nav", "aside", "form", "dialog", "button", "select",
        "input", "textarea", "iframe", "object", "embed", "svg", "canvas", "video", "audio", "head",
        "menu", "label", "option", "datalist", "output", "progress", "meter",
    }
)  # fmt: skip
_SECTIONING = frozenset({"article", "main", "section"})
_LANDMARK_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog", "search", "menu", "menubar", "toolbar", "tablist", "alert"}
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
#: id/class words of cookie and consent banners and of archive toolbars.
_BOILERPLATE = re.compile(
    r"(?:^|[-_\s])(?:cookie|cookies|consent|gdpr|cmp|onetrust|didomi|axeptio|tarteaucitron|cookiebot|"
    r"usercentrics|truste|qc-cmp|cc-banner|cc-window|osano|iubenda|termly|sp_message|"
    r"wm-ipp|wm-toolbar|wb-autocomplete|donato|playback|skip-link|skip-to|skiplink|sr-only|visually-hidden|"
    r"screen-reader-text|breadcrumb|breadcrumbs|share|sharing|social|feedback|back-to-top)(?:$|[-_\s])",
    re.I,
)
_STRING_SKIP = (Comment, Declaration, Doctype, ProcessingInstruction)


def _attr_text(el: Tag, name: str) -> str:
    value = el.attrs.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def _is_boilerplate(el: Tag, in_section: bool) -> bool:
    name = el.name
    if name in _ALWAYS_DROP:
        return True
    attrs = el.attrs
    if not attrs:
        return name in ("header", "footer") and not in_section
    if name in ("header", "footer") and not in_section:
        return True
    if "hidden" in attrs or attrs.get("aria-hidden") == "true" or attrs.get("aria-modal") == "true":
        return True
    role = attrs.get("role")
    if isinstance(role, str) and role.lower() in _LANDMARK_ROLES:
        return True
    style = attrs.get("style")
    if isinstance(style, str) and _HIDDEN_STYLE.search(style):
        return True
    ident = _attr_text(el, "id") + " " + _attr_text(el, "class")
    return bool(ident.strip()) and _BOILERPLATE.search(ident) is not None


def clean(root: Tag) -> None:
    """Remove boilerplate elements from ``root`` in place (one walk, iterative)."""
    doomed: list[Tag] = []
    stack: list[tuple[Tag, bool]] = [(root, False)]
    while stack:
        node, in_section = stack.pop()
        for child in node.children:
            if not isinstance(child, Tag):
                continue
            if _is_boilerplate(child, in_section):
                doomed.append(child)
            else:
                stack.append((child, in_section or child.name in _SECTIONING))
    for el in doomed:
        el.decompose()


def _prose_counts(root: Tag) -> dict[int, int]:
    """Words outside links for every element under ``root``, keyed by ``id(element)``."""
    counts: dict[int, int] = {}

    def visit(el: Tag, in_link: bool) -> int:
        total = 0
        link = in_link or el.name == "a"
        for child in el.children:
            if isinstance(child, NavigableString):
                if not link and not isinstance(child, _STRING_SKIP):
                    total += len(child.split())
            elif isinstance(child, Tag):
                total += visit(child, link)
        counts[id(el)] = total
        return total

    visit(root, False)
    return counts


def main_content(root: Tag) -> Tag:
    """The element holding the policy: the deepest one with nearly all of the page's prose."""
    counts = _prose_counts(root)
    total = counts.get(id(root), 0)
    node = root
    if total == 0:
        return root
    while True:
        best: Tag | None = None
        for child in node.children:
            if isinstance(child, Tag) and counts.get(id(child), 0) >= DESCENT_SHARE * total:
                best = child
                break
        if best is None:
            return node
        node = best


def apply_rules(soup: BeautifulSoup, rules: tuple[ExtractionRule, ...], timestamp: str) -> list[Tag] | None:
    """Apply the latest rule in force at ``timestamp``: remove its selectors, return its selection.

    Returns None when no rule applies or the rule has no ``select`` (the automatic path then runs
    on what is left)."""
    rule = rule_in_force(rules, timestamp)
    if rule is None:
        return None
    for selector in rule.remove:
        for el in soup.select(selector):
            el.decompose()
    if not rule.select:
        return None
    chosen: list[Tag] = []
    for selector in rule.select:
        chosen.extend(el for el in soup.select(selector) if not any(el in c.descendants for c in chosen))
    return chosen


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

"""HTML text -> policy Markdown, title and declared language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ExtractionError
from ..models import ExtractionRule
from .content import apply_rules, clean, main_content, policy_heading, strip_invisible
from .dom import Element, parse, text_of
from .markdown import collapse_spaces, count_words
from .render import render_element, render_markdown

#: Elements whose content is never text, removed before parsing (cheap, and `<noscript>` first:
#: ``<noscript><iframe/></noscript>`` derails HTML parsers, docs/performance.md).
_PREPASS = re.compile(
    r"<!--\s*BEGIN WAYBACK TOOLBAR INSERT\s*-->.*?<!--\s*END WAYBACK TOOLBAR INSERT\s*-->|<noscript\b.*?</noscript\s*>|<script\b.*?</script\s*>|<style\b.*?</style\s*>|<template\b.*?</template\s*>"
    r"|<svg\b.*?</svg\s*>|<!--.*?-->",
    re.I | re.S,
)
#: Elements cut before parsing when their start and end tags balance (nested ones included).
_CUT_BALANCED = re.compile(r"<(/?)(nav|aside|select|svg|math|dialog)\b[^>]*>", re.I)
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.I | re.S)
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=", re.I)
# the language with its region when there is one ("en-GB": numeric dates read day first)
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)", re.I)
#: The empty element a single-page app renders into: React's #root, Vue's #app, Next's #__next,
#: Nuxt's #__nuxt, Gatsby's #___gatsby, Angular's <app-root>.
_APP_ROOT = re.compile(
    r"<div\b[^>]*?\bid\s*=\s*[\"']?(?:root|app|__next|__nuxt|___gatsby|svelte|react-root|app-root)"
    r"(?=[\"'\s/>])[^>]*>\s*</div\s*>|<app-root\b[^>]*>\s*</app-root\s*>",
    re.I,
)

#: Wall markers (docs/fault-cases.md case 19): what a consent wall or a login wall leaves in the
#: archived HTML. They say "this page is a wall" only when the page has next to no text of its own
#: (quality.WALL_CHARS): a real policy page carries the same banner, or a login box in its header.
#:
#: The container a consent-management platform renders its banner or wall into, by id or class:
#: OneTrust (and its older Optanon), Cookiebot, Didomi, TrustArc/TRUSTe, Quantcast Choice,
#: Usercentrics, Sourcepoint, Google Funding Choices, consentmanager.net, Axeptio, iubenda.
#: Not OneTrust's "Cookie settings" footer link (``ot-sdk-show-settings``): a page has that anyway.
_CONSENT_CONTAINER = re.compile(
    r"\b(?:id|class)\s*=\s*[\"']?[^\"'>]*?\b(?:"
    r"onetrust-(?:consent-sdk|banner-sdk|pc-sdk|pc-dark-filter)|ot-sdk-container|optanon-(?:alert-box|popup)|"
    r"CybotCookiebotDialog|didomi-(?:host|notice|popup|consent-popup)|truste[-_](?:overlay|box|consent|banner)|"
    r"trustarc-banner|qc-cmp2?-(?:container|ui|main-messaging)|usercentrics-root|"
    r"sp_message_(?:container|iframe)|fc-consent-root|cmpbox|axeptio_overlay|iubenda-cs-banner"
    r")",
    re.I,
)
#: A consent platform's loader or the IAB TCF API stub, in a script: counted only when the page has
#: no app mount point (a single-page app that loads a consent platform is a JavaScript shell).
_CONSENT_SCRIPT = re.compile(
    r"cdn\.cookielaw\.org|otSDKStub|optanon\.blob\.core|consentcdn\.cookiebot\.com|consent\.cookiebot\.com|"
    r"sdk\.privacy-center\.org|didomiConfig|consent\.trustarc\.com|consent\.truste\.com|"
    r"cmp\.quantcast\.com|quantcast\.mgr\.consensu\.org|app\.usercentrics\.eu|web\.cmp\.usercentrics\.eu|"
    r"privacy-mgmt\.com|window\._sp_|__tcfapi|fundingchoicesmessages\.google\.com|cdn\.consentmanager\.net",
    re.I,
)
#: A login form: a password field, or a form that sends to a sign-in address or whose button says
#: "sign in" (a two-step login asks for the e-mail address first).
_PASSWORD_FIELD = re.compile(r"<input\b[^>]*?\btype\s*=\s*[\"']?password\b", re.I)
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form\s*>", re.I | re.S)
_FORM_ACTION = re.compile(
    r"\baction\s*=\s*[\"']?[^\"'>\s]*?(?:log-?in|sign-?in|sign_in|auth/|/session)", re.I
)
_BUTTON = re.compile(
    r"<button\b[^>]*>(.*?)</button\s*>|<input\b[^>]*?\btype\s*=\s*[\"']?submit\b[^>]*?\bvalue\s*=\s*[\"']?([^\"'>]*)",
    re.I | re.S,
)
_SIGN_IN = re.compile(
    r"\b(?:sign|log)[\s-]?in\b|\blogin\b|anmelden|einloggen|se\s+connecter|connexion|identifiez-vous|"
    r"iniciar\s+sesi[oó]n|inicia\s+sesi[oó]n|accedi\b|inloggen|aanmelden|entrar\b|войти|ログイン|登录|登入|로그인",
    re.I,
)

_TAG = re.compile(r"<[^>]*>")


def wall_marker(html: str, app_root: bool = False, markup: str | None = None) -> str:
    """What in the archived HTML says the page is a wall rather than the policy: "login" (a login
    form), "consent" (a consent platform) or "". Tags are looked at outside scripts, styles and
    comments (``markup``: the page after ``_PREPASS``; CSS mentions ``input[type=password]``),
    scripts only for a consent platform's loader."""
    if markup is None:
        markup = _PREPASS.sub(" ", html)
    if _PASSWORD_FIELD.search(markup):
        return "login"
    for attrs, inner in _FORM.findall(markup):
        if _FORM_ACTION.search(attrs):
            return "login"
        if any(_SIGN_IN.search(_TAG.sub(" ", a or b)) for a, b in _BUTTON.findall(inner)):
            return "login"
    if _CONSENT_CONTAINER.search(markup):
        return "consent"
    if not app_root and any(_CONSENT_SCRIPT.search(s) for s in _SCRIPT.findall(html)):
        return "consent"
    return ""


@dataclass(frozen=True, slots=True)
class HtmlText:
    markdown: str
    title: str
    declared_language: str
    script_chars: int  # characters of inline script in the page (JavaScript-shell heuristic)
    html_chars: int
    app_root: bool = False  # an empty single-page-app mount point (JavaScript-shell heuristic)
    rule_unmatched: bool = False  # the policy's rule selected nothing: the automatic path ran
    wall: str = ""  # "login" or "consent": a wall marker in a near-empty page (see wall_marker)
    low_confidence: bool = False  # the fallback ran (see _fallback)


def html_to_markdown(html: str, rules: tuple[ExtractionRule, ...] = (), timestamp: str = "") -> HtmlText:
    lang_match = _LANG.search(html[:5000])
    # NUL is ignored by browsers in text but lxml turns it into U+FFFD
    markup = _PREPASS.sub(" ", html.replace("\x00", ""))
    stripped = _cut_balanced(markup)
    root = _parse(stripped)
    title_tag = next(root.iter("title"), None)
    title = collapse_spaces(text_of(title_tag)) if title_tag is not None else ""
    try:
        chosen = apply_rules(root, rules, timestamp)
        rule_unmatched = chosen is not None and not chosen
        if chosen:
            parts = []
            for el in chosen:
                clean(el, in_section=True)
                parts.append(render_markdown(el))
            markdown = "\n\n".join(p for p in parts if p)
        else:
            body = next(root.iter("body"), None)
            page = body if body is not None else root
            clean(page)
            content = main_content(page)
            heading = policy_heading(content)
            blocks = [
                *(render_element(el) for el in content.before),
                render_markdown(content.main),
                *(render_element(el) for el in content.after),
            ]
            markdown = "\n\n".join(filter(None, blocks))
            if heading is not None:
                markdown = render_element(heading) + "\n\n" + markdown
    except RecursionError:
        raise ExtractionError("HTML nested too deeply to extract") from None
    low_confidence = False
    # (a text of 6000 characters has more than FALLBACK_WORDS words: not counted on long pages)
    if not chosen and len(markdown) < 6000 and count_words(markdown) < FALLBACK_WORDS:
        fallback = _fallback(stripped, count_words(markdown))
        if fallback:
            markdown, low_confidence = fallback, True
    markdown = rank_headings(markdown)
    script_chars = 0
    app_root = False
    wall = ""
    if len(markdown) < 3000:  # only a near-empty page can be a JavaScript shell or a wall: look closer
        script_chars = sum(len(m) for m in _SCRIPT.findall(html)) + 2000 * len(_SCRIPT_SRC.findall(html))
        app_root = _APP_ROOT.search(html) is not None
        wall = wall_marker(html, app_root, markup)
    return HtmlText(
        markdown=markdown,
        title=title,
        declared_language=lang_match.group(1).lower().replace("_", "-") if lang_match else "",
        script_chars=script_chars,
        html_chars=len(html),
        app_root=app_root,
        rule_unmatched=rule_unmatched,
        wall=wall,
        low_confidence=low_confidence,
    )


#: Below this many words the automatic text is checked against the page's visible text.
FALLBACK_WORDS = 150
#: The fallback runs when the page's visible text has at least this many times the words found.
FALLBACK_RATIO = 3


def _fallback(markup: str, found: int) -> str:
    """When the main-content step found little (``found`` words) but the page shows much more
    text, the page's largest prose region (the descent of :func:`main_content` with only invisible
    elements removed), else its whole visible text; "" when the page really has little text."""
    parsed = _parse(markup)
    body = next(parsed.iter("body"), None)
    root = body if body is not None else parsed
    strip_invisible(root)
    visible = count_words(" ".join(root.itertext()))
    if visible < max(FALLBACK_WORDS, FALLBACK_RATIO * found):
        return ""
    content = main_content(root)
    region = "\n\n".join(
        filter(None, [*(render_element(el) for el in content.before), render_markdown(content.main)])
    )
    if count_words(region) >= max(FALLBACK_WORDS, FALLBACK_RATIO * found):
        return region
    return render_markdown(root)


def _parse(markup: str) -> Element:
    try:
        return parse(markup)
    except ExtractionError:
        raise  # already says what is wrong (nested past the parser's limit)
    except Exception as exc:  # lxml raises assorted errors on pathological input
        raise ExtractionError(f"cannot parse HTML: {type(exc).__name__}: {exc}") from None


_HEADING_LINE = re.compile(r"^(#{1,6}) ", re.M)


def rank_headings(markdown: str) -> str:
    """Heading levels by rank: the highest level used becomes ``#``, the next ``##``... A reader
    sees a title above its sections, not whether a template used ``<h1>`` or ``<h2>`` for it, and
    a site that only changes that must not make a new version (outside fenced code blocks)."""
    levels = sorted({len(m) for m in _HEADING_LINE.findall(markdown)})
    if not levels or levels == list(range(1, len(levels) + 1)):
        return markdown
    rank = {level: i + 1 for i, level in enumerate(levels)}
    out: list[str] = []
    fenced = False
    for line in markdown.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            match = _HEADING_LINE.match(line)
            if match:
                line = "#" * rank[len(match.group(1))] + line[len(match.group(1)) :]
        out.append(line)
    return "\n".join(out)


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

"""Consent walls and login walls archived instead of the policy (docs/fault-cases.md case 19).

A page is flagged ``consent-or-login-wall`` when it has a wall marker (a consent platform's
container or loader, a login form) and under WALL_CHARS characters of text; the same markers around
a real policy are not a wall. The wall pages are hand-made (tests/data/extraction/README.md); the
corpus pages with the same markers put in are in test_extraction_corpus.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.extraction import extract
from archiver.extraction.html import wall_marker
from archiver.extraction.quality import WALL_CHARS
from archiver.models import NOT_POLICY_TEXT, Flag

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURES = DATA / "extraction"
FR = (FIXTURES / "policy_fr.txt").read_text(encoding="utf-8")
# straight apostrophes: the form version identity writes (markdown.normalize_text)
PARAGRAPHS = [p.replace("’", "'") for p in FR.split("\n\n") if not p.startswith(("#", "-", "*"))]
POLICY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)

WALLS = {
    # fixture: (the marker it carries, its <title>, the element the policy would have filled)
    "wall_consent_onetrust.html": ("consent", "Privacy Notice | Northwind Travel", '<main id="content"'),
    "wall_consent_didomi.html": (
        "consent",
        "Politique de confidentialité - La Gazette du Val",
        '<main id="main"',
    ),
    "wall_login.html": ("login", "Sign in · Fernhill Workspace", '<main class="auth-container"'),
}


def page(body: str, head: str = "<title>Privacy</title>") -> bytes:
    return f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>".encode()


def with_policy(html: str, main: str, policy: str = POLICY) -> bytes:
    """``html`` with ``policy`` put at the start of the element that starts with ``main``."""
    start = html.index(main)
    end = html.index(">", start) + 1
    return (html[:end] + policy + html[end:]).encode()


def test_wall_is_a_non_policy_flag() -> None:
    assert Flag.WALL.value == "consent-or-login-wall"
    assert Flag.WALL.value in NOT_POLICY_TEXT  # left out of default comparisons, as error pages


@pytest.mark.parametrize("name", list(WALLS))
def test_a_wall_archived_instead_of_the_policy_is_flagged(name: str) -> None:
    marker, title, _ = WALLS[name]
    body = (FIXTURES / name).read_bytes()
    assert wall_marker(body.decode("utf-8")) == marker
    result = extract(body, "text/html")
    assert Flag.WALL in result.flags and Flag.SHORT_TEXT in result.flags
    # one reason per page: these small pages are mostly script, but what they show is the wall
    assert Flag.JS_SHELL not in result.flags
    assert len(result.text) < WALL_CHARS
    assert result.title == title  # which page was asked for is still said
    # the consent banner's text is not taken for the page's text
    assert "partners" not in result.text and "partenaires" not in result.text


@pytest.mark.parametrize("name", list(WALLS))
def test_the_same_markers_around_a_real_policy_are_not_a_wall(name: str) -> None:
    # the banner (or the login form) stays in the page, the policy is there too: it is policy text
    _, _, main = WALLS[name]
    html = (FIXTURES / name).read_text(encoding="utf-8")
    result = extract(with_policy(html, main), "text/html")
    assert Flag.WALL not in result.flags and not NOT_POLICY_TEXT.intersection(result.flags)
    assert Flag.SHORT_TEXT not in result.flags
    assert PARAGRAPHS[0] in result.text and PARAGRAPHS[-1] in result.text
    assert "partners" not in result.text and "partenaires" not in result.text  # the banner is gone


def test_the_threshold_is_the_text_left_besides_the_wall() -> None:
    html = (FIXTURES / "wall_consent_onetrust.html").read_text(encoding="utf-8")
    sentence = "We collect the booking details you give us and keep them for seven years. "
    below = extract(with_policy(html, '<main id="content"', f"<p>{sentence * 4}</p>"), "text/html")
    above = extract(with_policy(html, '<main id="content"', f"<p>{sentence * 7}</p>"), "text/html")
    assert len(below.text) < WALL_CHARS < len(above.text)
    assert Flag.WALL in below.flags
    # above the threshold the page is short, and says so, but stays in comparisons
    assert Flag.WALL not in above.flags and Flag.SHORT_TEXT in above.flags


LOGIN_FORMS = {
    "password field": "<form action='/account'><input type=email name=u><input type=password name=p><button>Continue</button></form>",
    "two-step, German button": "<form action='/konto/weiter' method=post><input type=email name=email><button type=submit>Anmelden</button></form>",
    "two-step, sign-in address": "<form action='https://accounts.example.com/signin/identifier' method=post><input type=email name=identifier><button>Next</button></form>",
    "French submit value": "<form method=post><input type=text name=identifiant><input type=submit value='Se connecter'></form>",
}


@pytest.mark.parametrize("form", list(LOGIN_FORMS.values()), ids=list(LOGIN_FORMS))
def test_login_forms(form: str) -> None:
    body = page(f"<main><h1>Account</h1>{form}<p>Trouble signing in? Contact support.</p></main>")
    assert wall_marker(body.decode()) == "login"
    assert Flag.WALL in extract(body, "text/html").flags


NOT_MARKERS = {
    # a short page with these is short-text, not a wall
    "header login link": "<header><a href='/login'>Log in</a> <a href='/signup'>Sign up</a></header>",
    "OneTrust cookie-settings link": "<footer><a class='ot-sdk-show-settings' href='#'>Cookie Settings</a></footer>",
    "search form": "<form role=search action='/search'><input type=search name=q><button>Search</button></form>",
    "newsletter form": "<form action='/newsletter'><input type=email name=e><button>Subscribe</button></form>",
    "password in CSS": "<style>input[type=password]{border:1px solid #ccc}</style>",
    "password in a script string": "<script>const tpl = '<form><input type=\"password\"></form>';</script>",
    "password in a template": "<template><form><input type='password'></form></template>",
    "consent platform named in the text": "<p>Our consent banner is run by OneTrust and Didomi.</p>",
}


@pytest.mark.parametrize("extra", list(NOT_MARKERS.values()), ids=list(NOT_MARKERS))
def test_a_short_policy_with_no_wall_marker_is_only_short(extra: str) -> None:
    body = page(
        f"{extra}<main><h1>Privacy</h1><p>This app stores nothing about you and sends nothing anywhere.</p></main>"
    )
    assert wall_marker(body.decode()) == ""
    result = extract(body, "text/html")
    assert Flag.SHORT_TEXT in result.flags and Flag.WALL not in result.flags


CONSENT_SCRIPTS = {
    "OneTrust": "<script src='https://cdn.cookielaw.org/scripttemplates/otSDKStub.js' data-domain-script='x'></script>",
    "Cookiebot": "<script id='Cookiebot' src='https://consent.cookiebot.com/uc.js' data-cbid='x'></script>",
    "TrustArc": "<script src='https://consent.trustarc.com/notice?domain=example.com&c=teconsent'></script>",
    "Quantcast Choice": "<script>var host = 'cmp.quantcast.com'; var url = 'https://' + host + '/choice/x/example.com/choice.js';</script>",
    "Usercentrics": "<script id='usercentrics-cmp' src='https://app.usercentrics.eu/browser-ui/latest/loader.js' async></script>",
    "Sourcepoint": "<script>window._sp_queue = []; window._sp_ = {config: {accountId: 1, baseEndpoint: 'https://cdn.privacy-mgmt.com'}}</script>",
    "IAB TCF stub": "<script>window.__tcfapi = window.__tcfapi || function () { (window.__tcfapi.a = window.__tcfapi.a || []).push(arguments) }</script>",
}
CONSENT_CONTAINERS = {
    "Cookiebot": "<div id='CybotCookiebotDialog' role='dialog'><h2>This website uses cookies</h2><button>Allow all</button></div>",
    "TRUSTe": "<div id='truste-consent-track' class='truste-banner'><p>We use cookies.</p></div>",
    "Quantcast Choice": "<div id='qc-cmp2-container' data-nosnippet><div class='qc-cmp2-summary-section'>We value your privacy</div></div>",
    "Usercentrics": "<div id='usercentrics-root' data-created-at='1700000000000'></div>",
    "Sourcepoint": "<div id='sp_message_container_812345' class='sp-message-open'><iframe id='sp_message_iframe_812345' title='SP Consent Message'></iframe></div>",
    "Funding Choices": "<div class='fc-consent-root'><div class='fc-dialog-container'>This site asks for consent to use your data</div></div>",
}


@pytest.mark.parametrize(
    "markup",
    list(CONSENT_SCRIPTS.values()) + list(CONSENT_CONTAINERS.values()),
    ids=[f"script-{k}" for k in CONSENT_SCRIPTS] + [f"container-{k}" for k in CONSENT_CONTAINERS],
)
def test_consent_platforms(markup: str) -> None:
    empty = page(f"<header><a href='/'>Example</a></header><main></main>{markup}")
    assert wall_marker(empty.decode()) == "consent"
    assert Flag.WALL in extract(empty, "text/html").flags
    full = page(f"<header><a href='/'>Example</a></header><main>{POLICY}</main>{markup}")
    assert Flag.WALL not in extract(full, "text/html").flags


def test_a_single_page_app_that_loads_a_consent_platform_is_a_javascript_shell() -> None:
    # the empty #root says why the page has no text; the consent loader is on every page of the site
    shell = (FIXTURES / "spa_shell_react.html").read_text(encoding="utf-8")
    with_cmp = shell.replace("</head>", CONSENT_SCRIPTS["OneTrust"] + "</head>", 1).encode()
    assert with_cmp != shell.encode()
    result = extract(with_cmp, "text/html")
    assert Flag.JS_SHELL in result.flags and Flag.WALL not in result.flags
    # a consent platform's own container in the shell is the wall itself, though
    rendered = shell.replace("</body>", CONSENT_CONTAINERS["Cookiebot"] + "</body>", 1).encode()
    flags = extract(rendered, "text/html").flags
    assert Flag.WALL in flags and Flag.JS_SHELL not in flags

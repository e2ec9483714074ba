"""HTML -> policy Markdown: shape, boilerplate removal, stability under markup churn, rules, errors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.errors import ArchiverError, ExtractionError, UnsupportedContentError
from archiver.extraction import extract, from_markdown, normalize_text
from archiver.models import ExtractionRule, Flag
from archiver.pllc import parse_pllc

DATA = Path(__file__).resolve().parents[1] / "data"
SEED = DATA / "000_f3b110e2aecbbe7d.txt"
TINDER = DATA / "corpus" / "tinder-privacy" / "20220407003230.html"
FR = (DATA / "extraction" / "policy_fr.txt").read_text(encoding="utf-8")
# straight apostrophes: the form version identity writes (markdown.normalize_text)
PARAGRAPHS = [p.replace("’", "'") for p in FR.split("\n\n") if not p.startswith(("#", "-", "*"))]


def page(body: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>".encode()


POLICY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


# --- shape ---------------------------------------------------------------------------------


def test_headings_paragraphs_lists_emphasis_tables_links() -> None:
    html = (
        "<main><h1>Privacy Policy</h1><p>We <b>collect</b> <em>little</em>; see "
        "<a href='/cookies'>our cookie notice</a>.</p>"
        "<h2>Your <strong>rights</strong></h2><ol><li>Access</li><li>Deletion<ul><li>by email</li>"
        "<li>by post</li></ul></li></ol>"
        "<table><thead><tr><th>Data</th><th>Kept</th></tr></thead><tbody><tr><td>Logs</td><td>30 days</td></tr>"
        "<tr><td>Account | profile</td><td>until deletion</td></tr></tbody></table>"
        "<blockquote><p>Example Inc.<br>1 Main Street</p></blockquote>" + POLICY + "</main>"
    )
    text = extract(page(html), "text/html").text
    assert text.startswith(
        "# Privacy Policy\n\nWe **collect** *little*; see our cookie notice.\n\n## Your **rights**\n\n"
        "1. Access\n2. Deletion\n   - by email\n   - by post\n\n"
        "| Data | Kept |\n| --- | --- |\n| Logs | 30 days |\n| Account \\| profile | until deletion |\n\n"
        "> Example Inc.\n> 1 Main Street\n\n"
    )
    assert "/cookies" not in text


def test_layout_table_becomes_blocks() -> None:
    html = f"<table><tr><td><table><tr><td>Menu</td></tr></table></td><td>{POLICY}</td></tr></table>"
    text = extract(page(html), "text/html").text
    assert "|" not in text and PARAGRAPHS[0] in text


def test_a_paragraph_that_looks_like_markdown_is_escaped() -> None:
    html = f"<main><p>1. Who we are</p><p># not a heading</p>{POLICY}</main>"
    text = extract(page(html), "text/html").text
    assert "1\\. Who we are" in text and "\\# not a heading" in text


# --- boilerplate --------------------------------------------------------------------------------


BOILERPLATE = {
    "nav": "<nav><a href='/'>Accueil</a><a href='/blog'>Blog du site</a></nav>",
    "site header": "<header><a href='/'>Logo</a> Menu principal du site</header>",
    "site footer": "<footer>© 2024 Kelindi, tous droits réservés, plan du site</footer>",
    "aside": "<aside>Articles populaires : bébé dort mal</aside>",
    "cookie banner": "<div id='onetrust-banner-sdk'><p>Nous utilisons des cookies pour améliorer votre expérience.</p><button>Accepter</button></div>",
    "consent dialog": "<div class='cookie-consent-modal' role='dialog'><p>Gérer mes préférences de consentement</p></div>",
    "dialog": "<dialog open><p>Inscrivez-vous à la newsletter</p></dialog>",
    "hidden": "<div hidden><p>Texte caché hidden</p></div><p style='display: none'>Aussi caché displaynone</p>",
    "aria-hidden": "<div aria-hidden='true'>Décoration ariahidden</div>",
    "form": "<form><label>Recherche dans le site</label><input name=q><button>Chercher</button></form>",
    "template": "<template><p>Gabarit templatetext</p></template>",
    "script": "<script>var tracking = 'scripttext';</script><style>.x{content:'styletext'}</style>",
    "noscript": "<noscript><iframe src='https://www.googletagmanager.com/ns.html'></iframe>Activez noscripttext</noscript>",
    "wayback toolbar": "<div id='wm-ipp-base'><div id='wm-ipp'>The Wayback Machine - toolbar text wmipp</div></div>",
    "skip link": "<a class='skip-link screen-reader-text' href='#main'>Aller au contenu skiplinktext</a>",
}


@pytest.mark.parametrize("name", list(BOILERPLATE))
def test_boilerplate_is_dropped(name: str) -> None:
    snippet = BOILERPLATE[name]
    html = f"{snippet}<div class='wrap'><main><h1>Politique</h1>{POLICY}</main></div>{snippet}"
    text = extract(page(html), "text/html").text
    assert text == "# Politique\n\n" + "\n\n".join(PARAGRAPHS) + "\n"


def test_a_policy_section_about_cookies_is_kept() -> None:
    html = (
        f"<main>{POLICY}<section id='cookies' class='cookie-policy'><h2 id='cookie-banner-settings'>Cookies</h2>"
        "<p>Nous utilisons des cookies de mesure d'audience.</p></section></main>"
    )
    text = extract(page(html), "text/html").text
    # the page's only heading level ranks first (html.rank_headings)
    assert "# Cookies\n\nNous utilisons des cookies de mesure d'audience." in text


def test_collapsed_accordion_panels_are_policy_text() -> None:
    html = (
        f"<main>{POLICY}<h3><button aria-expanded='false' aria-controls='p1'>Vos droits</button></h3>"
        "<div id='p1' hidden><p>Vous pouvez demander l'effacement.</p></div></main>"
    )
    text = extract(page(html), "text/html").text
    assert "# Vos droits\n\nVous pouvez demander l'effacement." in text  # ranked: the only level


def test_a_form_wrapping_the_whole_page_is_not_dropped() -> None:
    html = f"<form id='aspnetForm' method='post'><div class='content'>{POLICY}</div></form>"
    assert PARAGRAPHS[-1] in extract(page(html), "text/html").text


def test_title_in_a_page_banner_is_kept() -> None:
    html = f"<section role='banner' class='hero'><header><h1>Politique de confidentialité</h1></header></section><div><article>{POLICY}</article></div>"
    text = extract(page(html), "text/html").text
    assert text.startswith("# Politique de confidentialité\n\n" + PARAGRAPHS[0])


def test_main_content_is_found_beside_a_long_link_sidebar() -> None:
    sidebar = (
        "<div class='sidebar'><ul>"
        + "".join(f"<li><a href='/p{i}'>Page numéro {i} du site</a></li>" for i in range(200))
        + "</ul></div>"
    )
    html = f"<div class='layout'>{sidebar}<div class='content'><h1>Politique</h1>{POLICY}</div></div>"
    text = extract(page(html), "text/html").text
    assert "Page numéro" not in text and text.startswith("# Politique")


# --- stability ----------------------------------------------------------------------------------


def _variant(rng: random.Random) -> str:
    """The same visible policy, with different wrappers, classes, attribute order, tags and spaces."""

    def ws() -> str:
        return rng.choice(["", " ", "\n", "\n\t  ", "  \n\n "])

    def attrs() -> str:
        pairs = [
            (k, f"{k}-{rng.randrange(10**6)}")
            for k in rng.sample(["class", "id", "data-x", "style"], rng.randrange(4))
        ]
        pairs = [(k, "color: red" if k == "style" else v) for k, v in pairs]
        out = ""
        for k, v in pairs:
            quote = rng.choice(['"', "'"])
            out += f" {k}={quote}{v}{quote}"
        return out

    def wrap(html: str) -> str:
        for _ in range(rng.randrange(3)):
            tag = rng.choice(["div", "section", "span" if "<p" not in html else "div"])
            html = f"<{tag}{attrs()}>{ws()}{html}{ws()}</{tag}>"
        return html

    bold = rng.choice(["b", "strong"])
    ital = rng.choice(["i", "em"])
    heading = rng.choice(
        ["Vos droits", "<a href='#droits'>Vos droits</a>", "<span>Vos</span> <span>droits</span>"]
    )
    parts = [wrap(f"<h1{attrs()}>{ws()}Politique de confidentialité{ws()}</h1>")]
    verb = rng.choice(
        [
            f"<{bold}>protégeons</{bold}>",
            f"<{bold}>proté</{bold}><strong>geons</strong>",
            f"<b><{bold}>protégeons</{bold}></b>",
        ]
    )
    parts.append(wrap(f"<p{attrs()}>{ws()}Nous {verb} vos <{ital}>données</{ital}>.{ws()}</p>"))
    parts += [wrap(f"<p{attrs()}>{ws()}{p}{ws()}</p>") for p in PARAGRAPHS]
    parts.append(wrap(f"<h2{attrs()}>{heading}</h2>"))
    items = "".join(
        f"{ws()}<li{attrs()}>{ws()}{t}{ws()}</li>" for t in ("Accès", "Rectification", "Effacement")
    )
    parts.append(wrap(f"<ul{attrs()}>{items}{ws()}</ul>"))
    body = ws().join(parts)
    return f"<nav{attrs()}><a href='/'>Accueil</a></nav>{ws()}<main{attrs()}>{body}</main>{ws()}<footer>Pied</footer>"


def test_same_visible_text_same_markdown_whatever_the_markup() -> None:
    rng = random.Random(4)
    texts = {extract(page(_variant(rng)), "text/html").text for _ in range(60)}
    assert len(texts) == 1
    (text,) = texts
    assert text.startswith("# Politique de confidentialité\n\nNous **protégeons** vos *données*.\n\n")
    assert text.endswith("## Vos droits\n\n- Accès\n- Rectification\n- Effacement\n")


def test_invisible_characters_and_space_variants_do_not_change_the_version() -> None:
    a = extract(page(f"<main>{POLICY}</main>"), "text/html")
    noisy = (
        POLICY.replace(" ", "\u00a0", 5)
        .replace("données", "don\u200bnées", 3)
        .replace("</p>", "\u00ad</p>", 2)
    )
    b = extract(page(f"<main>{noisy}</main>\r\n"), "text/html")
    assert a.text_sha256 == b.text_sha256


# --- per-policy rules ----------------------------------------------------------------------------


RULE_PAGE = page(
    "<main><div class='promo'><p>"
    + "Téléchargez notre application mobile dès maintenant. " * 40
    + "</p></div>"
    f"<div class='legal'><h1>Politique</h1>{POLICY}</div></main>"
)


def test_rule_select_and_remove() -> None:
    auto = extract(RULE_PAGE, "text/html").text
    assert "Téléchargez" in auto  # the automatic path keeps the promo (it is prose in the main area)
    select = ExtractionRule(valid_from="", select=(".legal",))
    assert "Téléchargez" not in extract(RULE_PAGE, "text/html", rules=(select,)).text
    remove = ExtractionRule(valid_from="", remove=(".promo",))
    assert (
        extract(RULE_PAGE, "text/html", rules=(remove,)).text
        == extract(RULE_PAGE, "text/html", rules=(select,)).text
    )


def test_the_latest_rule_in_force_at_the_capture_time_applies() -> None:
    old = ExtractionRule(valid_from="20200101000000", select=(".promo",))
    new = ExtractionRule(valid_from="20240101000000", select=(".legal",))
    rules = (new, old)
    before = extract(RULE_PAGE, "text/html", rules=rules, timestamp="20230615000000").text
    after = extract(RULE_PAGE, "text/html", rules=rules, timestamp="20240101000000").text
    first = extract(RULE_PAGE, "text/html", rules=rules, timestamp="20190101000000").text
    assert before.startswith("Téléchargez") and "Politique" not in before
    assert after.startswith("# Politique") and "Téléchargez" not in after
    assert "Téléchargez" in first and "# Politique" in first  # no rule yet: automatic


# --- flags ---------------------------------------------------------------------------------------


def test_javascript_shell() -> None:
    script = "<script>" + "window.__APP__=" + "x" * 20000 + "</script>"
    result = extract(
        page(
            f"<div id='root'></div><noscript>You need to enable JavaScript to run this app.</noscript>{script}"
        ),
        "text/html",
    )
    assert Flag.JS_SHELL in result.flags and Flag.SHORT_TEXT in result.flags


SHELLS = ["spa_shell_react.html", "spa_shell_next.html", "spa_shell_vue.html"]


@pytest.mark.parametrize("name", SHELLS)
def test_a_single_page_app_shell_is_flagged_js_shell(name: str) -> None:
    # Hand-made in the shape of real build outputs (tests/data/extraction/README.md): an empty
    # mount point (#root, #__next with a spinner, #app), inline and external scripts; the Vue one
    # carries 10 KB of inline critical CSS, so its script is not half the page. The archived HTML
    # holds no policy text: flagged, so that it never diffs as "policy deleted".
    body = (DATA / "extraction" / name).read_bytes()
    result = extract(body, "text/html")
    assert Flag.JS_SHELL in result.flags and Flag.SHORT_TEXT in result.flags
    assert len(result.text) < 500 and result.words < 20
    assert result.title  # the shell's <title> is kept: it says which page this was


def test_a_shell_is_told_by_its_text_not_by_its_mount_point() -> None:
    vue = (DATA / "extraction" / "spa_shell_vue.html").read_text(encoding="utf-8")
    static = "<main><h1>Politique de confidentialité</h1><p>Chargement de la page…</p></main>"
    little = extract(
        vue.replace('<div id="app"></div>', static + '<div id="app"></div>').encode(), "text/html"
    )
    assert little.text.startswith("# Politique de confidentialité") and len(little.text) < 500
    assert Flag.JS_SHELL in little.flags  # a heading and "loading" are not the policy
    # the same page with the policy rendered into it (server-side) is policy text, not a shell
    full = extract(
        vue.replace('<div id="app"></div>', f'<main>{POLICY}</main><div id="app"></div>').encode(),
        "text/html",
    )
    assert len(full.text) > 500 and Flag.JS_SHELL not in full.flags


def test_a_short_policy_without_an_app_shell_is_not_js_shell() -> None:
    body = page(
        "<main><h1>Privacy</h1><p>This app stores nothing about you and sends nothing anywhere.</p></main>"
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>"
    )
    result = extract(body, "text/html")
    assert Flag.SHORT_TEXT in result.flags and Flag.JS_SHELL not in result.flags


def test_soft_404() -> None:
    result = extract(
        page(
            "<main><h1>Page not found</h1><p>Sorry, the page you requested does not exist.</p></main>",
            "<title>404 Not Found</title>",
        ),
        "text/html",
    )
    assert Flag.SOFT_404 in result.flags
    assert result.title == "404 Not Found"
    assert Flag.SOFT_404 not in extract(TINDER.read_bytes(), "text/html").flags


def test_replacement_characters_are_flagged() -> None:
    body = page(f"<main>{POLICY}</main>").replace("données".encode(), b"donn\xe9es")
    result = extract(body, "text/html; charset=utf-8")
    assert "\ufffd" in result.text and Flag.REPLACEMENT_CHARS in result.flags


# --- other kinds and bad input -----------------------------------------------------------------


def test_seed_markdown_imports_and_extracts_to_itself() -> None:
    body = parse_pllc(SEED.read_text(encoding="utf-8")).text
    imported = from_markdown(body)
    assert Flag.NO_RAW_BYTES in imported.flags
    assert from_markdown(imported.text).text == imported.text
    assert extract(imported.text.encode(), "text/markdown").text == imported.text
    assert extract(imported.text.encode()).text == imported.text  # sniffed as text
    assert imported.language == "en" and imported.words > 300
    assert "## Information that we collect" in imported.text


def test_plain_text_and_xhtml() -> None:
    assert (
        extract("Privacy policy\r\n\r\nWe keep nothing.\r\n".encode("utf-16"), "text/plain").text
        == "Privacy policy\n\nWe keep nothing.\n"
    )
    xhtml = b'<?xml version="1.0" encoding="iso-8859-1"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Donn\xe9es</p></body></html>'
    assert extract(xhtml, "application/xhtml+xml").text == "Données\n"


def test_html_sniffed_when_content_type_is_missing_or_wrong() -> None:
    body = TINDER.read_bytes()
    assert extract(body, "").text == extract(body, "text/html").text
    assert extract(body, "text/plain").text == extract(body, "text/html").text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png"),
        (b"GIF89a" + bytes(100), ""),
        (b"PK\x03\x04" + bytes(100), "application/octet-stream"),
        (bytes(range(256)) * 4, ""),
    ],
)
def test_images_and_binaries_are_unsupported(body: bytes, content_type: str) -> None:
    with pytest.raises(UnsupportedContentError):
        extract(body, content_type)


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body_is_an_extraction_error(body: bytes) -> None:
    with pytest.raises(ExtractionError, match="empty"):
        extract(body, "text/html")


def test_broken_pdfs_give_a_typed_error() -> None:
    pdf = (DATA / "corpus" / "doctolib-privacy-pdf-fr" / "20250718003000.pdf").read_bytes()
    with pytest.raises(ExtractionError):
        extract(b"%PDF-1.7\n" + bytes(300), "application/pdf")
    with pytest.raises(ExtractionError):
        extract(b"<html>error</html>", "application/pdf")  # declared PDF, body is not
    try:
        result = extract(pdf[: len(pdf) // 2], "application/pdf")
    except ExtractionError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.text.startswith("<!-- page 1 -->")


def test_truncated_html_still_extracts() -> None:
    body = TINDER.read_bytes()
    full = extract(body, "text/html")
    start = body.index(b"Who We Are</h")  # cut inside the policy, after the inline CSS of <head>
    for cut in (start + 1000, start + 7777, len(body) - 1000):
        result = extract(body[:cut], "text/html")
        assert 100 < result.words <= full.words
        assert result.text.split("\n\n")[0] == full.text.split("\n\n")[0]
    # cut inside the inline <style> of <head>: like a browser, nothing of the body is left
    assert Flag.SHORT_TEXT in extract(body[: body.index(b"</style>") - 10], "text/html").flags


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=3000),
    st.sampled_from(["", "text/html", "text/html; charset=gbk", "text/plain", "application/pdf"]),
)
def test_arbitrary_bytes_never_crash(body: bytes, content_type: str) -> None:
    try:
        result = extract(body, content_type)
    except ArchiverError as exc:
        assert isinstance(exc, ExtractionError) and str(exc) and "\n" not in str(exc)
    else:
        assert result.text == normalize_text(result.text)


_TAGS = [
    "p",
    "div",
    "span",
    "b",
    "i",
    "a",
    "ul",
    "ol",
    "li",
    "table",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "br",
    "pre",
    "blockquote",
    "nav",
    "header",
    "footer",
    "script",
    "noscript",
    "form",
    "button",
    "svg",
    "select",
    "dialog",
    "template",
    "hr",
]
_fragment = st.recursive(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    lambda inner: st.tuples(
        st.sampled_from(_TAGS),
        st.lists(inner, max_size=4),
        st.sampled_from(
            [
                "",
                " hidden",
                " class='cookie-banner'",
                " role='main'",
                " colspan='3'",
                " aria-controls='x'",
                " id='x'",
                " start='7'",
            ]
        ),
        st.booleans(),
    ).map(lambda t: f"<{t[0]}{t[2]}>" + "".join(t[1]) + (f"</{t[0]}>" if t[3] else "")),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_fragment, max_size=6))
def test_malformed_html_never_crashes_and_output_is_normal(fragments: list[str]) -> None:
    html = "".join(fragments)
    try:
        result = extract(("<html><body>" + html).encode("utf-8", "surrogatepass"), "text/html")
    except ArchiverError as exc:
        assert isinstance(exc, ExtractionError)
        return
    assert result.text == normalize_text(result.text)
    assert from_markdown(result.text).text == result.text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert from_markdown(from_markdown(text).text).text == from_markdown(text).text


def test_deep_nesting_gives_text_or_a_typed_error() -> None:
    html = "<div>" * 5000 + "<p>deep text</p>" + "</div>" * 5000
    try:
        result = extract(page(html), "text/html")
    except ExtractionError as exc:
        assert "nested" in str(exc)
    else:
        assert "deep text" in result.text


def test_markdown_with_tags_stays_markdown() -> None:
    reference = (DATA / "corpus" / "tinder-privacy" / "20240531183348.ref.md").read_bytes()
    assert b"<br>" in reference
    result = extract(reference, "text/markdown")
    assert result.text == from_markdown(reference.decode("utf-8")).text
    assert extract(reference, "").text == result.text  # sniffed: it does not start like HTML


def test_wayback_toolbar_insert_is_dropped() -> None:
    toolbar = (
        "<!-- BEGIN WAYBACK TOOLBAR INSERT --><script>__wm.bt(675,27,25,2,'web','https://example.com/');</script>"
        "<div id='wm-ipp-base' lang='en' style='display:none;direction:ltr;'><div id='donato'>Donate</div>"
        "<p>The Wayback Machine - https://web.archive.org/web/2019/https://example.com/privacy</p></div>"
        "<!-- END WAYBACK TOOLBAR INSERT -->"
    )
    text = extract(page(f"{toolbar}<main>{POLICY}</main>"), "text/html").text
    assert (
        "Wayback" not in text
        and "Donate" not in text
        and text == extract(page(f"<main>{POLICY}</main>"), "text/html").text
    )


def test_utf16_html_without_content_type_is_html() -> None:
    body = page(f"<nav>Menu</nav><main>{POLICY}</main>").decode().encode("utf-16")
    assert extract(body).text == extract(page(f"<main>{POLICY}</main>")).text


def test_heading_permalink_symbols_are_not_text() -> None:
    plain = extract(page(f"<main><h2 id='x'>Vos droits</h2>{POLICY}</main>")).text
    for anchor in (
        "<a class='headerlink' href='#x' title='Permalink'>¶</a>",
        "<a href='#x' aria-label='Anchor'>#</a>",
        "<a href='#x'> § </a>",
    ):
        assert extract(page(f"<main><h2 id='x'>Vos droits{anchor}</h2>{POLICY}</main>")).text == plain
    assert "# Vos droits" in plain  # ranked: the only heading level


def test_div_based_header_footer_and_sidebar_are_dropped() -> None:
    legal = (
        "<p>" + "Ce site est édité par Exemple SA, capital social de 10 000 euros, RCS Paris. " * 12 + "</p>"
    )
    html = (
        "<div id='header'><div class='logo'>Exemple</div><h1>Politique de confidentialité</h1></div>"
        f"<div id='wrapper'><div class='sidebar'>{legal}</div><div id='content'>{POLICY}</div></div>"
        f"<div class='site-footer'>{legal}</div>"
    )
    text = extract(page(html)).text
    assert "Exemple SA" not in text
    assert text == "# Politique de confidentialité\n\n" + "\n\n".join(PARAGRAPHS) + "\n"


def test_old_table_layout_page() -> None:
    menu = "<td width='150'><a href='/'>Home</a><br><a href='/about'>About us</a><br><a href='/contact'>Contact</a></td>"
    content = f"<td><font face='Arial'><center><b>PRIVACY POLICY</b></center>{POLICY}</font></td>"
    html = f"<table width='100%' border='0'><tr><td colspan='2'><img src='logo.gif' alt='Example'></td></tr><tr>{menu}{content}</tr></table>"
    text = extract(page(html)).text
    assert "|" not in text and "About us" not in text
    assert text == "**PRIVACY POLICY**\n\n" + "\n\n".join(PARAGRAPHS) + "\n"


def test_layout_table_with_prose_beside_the_policy_is_not_a_pipe_table() -> None:
    side = "<td><p>" + "Bienvenue dans notre boutique en ligne de jouets en bois. " * 8 + "</p></td>"
    html = f"<table><tr>{side}<td>{POLICY}</td></tr></table>"
    text = extract(page(html)).text
    assert "|" not in text and text.endswith(PARAGRAPHS[-1] + "\n")


def test_a_rule_that_selects_nothing_falls_back_and_is_flagged() -> None:
    stale = ExtractionRule(valid_from="", select=("#old-layout .policy",))
    result = extract(RULE_PAGE, "text/html", rules=(stale,))
    assert Flag.RULE_UNMATCHED in result.flags
    assert result.text == extract(RULE_PAGE, "text/html").text
    assert (
        Flag.RULE_UNMATCHED
        not in extract(RULE_PAGE, "text/html", rules=(ExtractionRule("", select=(".legal",)),)).flags
    )


def test_a_malformed_selector_is_a_typed_error() -> None:
    with pytest.raises(ExtractionError, match=r"bad CSS selector '\.legal\[' "):
        extract(RULE_PAGE, "text/html", rules=(ExtractionRule("", select=(".legal[",)),))


def test_overlapping_selectors_do_not_repeat_text() -> None:
    rule = ExtractionRule("", select=(".legal", ".legal p", "main"))
    text = extract(RULE_PAGE, "text/html", rules=(rule,)).text
    assert text.count(PARAGRAPHS[0]) == 1


def test_a_selected_article_keeps_its_own_header() -> None:
    html = page(
        f"<header>Site</header><article class='p'><header><h1>Politique</h1><p>Version du 1er mars 2024</p></header>{POLICY}</article>"
    )
    text = extract(html, "text/html", rules=(ExtractionRule("", select=("article.p",)),)).text
    assert text.startswith("# Politique\n\nVersion du 1er mars 2024\n\n") and "Site" not in text
    assert extract(html, "text/html").text == text


def test_heading_levels_are_ranked_so_a_template_change_is_no_new_version() -> None:
    """replicate-privacy (corpus-wide) changed its title from <h2> to <h1> and nothing else."""
    sections = "".join(f"<h3>Section {i}</h3><p>{p}</p>" for i, p in enumerate(PARAGRAPHS))
    as_h2 = extract(page(f"<main><h2>Privacy policy</h2>{sections}</main>")).text
    as_h1 = extract(page(f"<main><h1>Privacy policy</h1>{sections}</main>")).text
    assert as_h2 == as_h1
    assert as_h1.startswith("# Privacy policy\n\n## Section 0\n\n")


def test_a_switch_to_typographic_apostrophes_is_no_new_version() -> None:
    """mesaides-privacy-fr (corpus-wide) changed every ' to ’ and not one word."""
    straight = extract(page("<main><p>L'article L.5312 du code du travail s'applique.</p></main>")).text
    curly = extract(page("<main><p>L’article L.5312 du code du travail s’applique.</p></main>")).text
    assert straight == curly == "L'article L.5312 du code du travail s'applique.\n"

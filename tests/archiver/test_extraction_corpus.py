"""Extraction on the real corpus (tests/data/corpus): every capture, against OTA's references.

Quality is an assertion here (bag-of-words F1 against the hand-written-selector references); time
is not (see benchmarks/extract_bench.py).
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from archiver.extraction import (
    EXTRACTOR_VERSION,
    SequenceItem,
    extract,
    from_markdown,
    section_keys,
    sequence_flags,
)
from archiver.extraction.decoding import decode
from archiver.extraction.html import wall_marker
from archiver.models import Extraction, Flag

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
INDEX: list[dict[str, Any]] = json.loads((CORPUS / "index.json").read_text(encoding="utf-8"))
WITH_REF = [e for e in INDEX if e.get("reference")]

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_TOKEN = re.compile(r"[^\W_]+")


def tokens(markdown: str) -> list[str]:
    """Lower-cased word tokens; Markdown syntax, link targets and HTML tags ignored (as the benchmark)."""
    return _TOKEN.findall(_TAG.sub(" ", _LINK.sub(r" \1 ", markdown)).lower())


def blocks(markdown: str) -> list[tuple[str, ...]]:
    return [t for t in (tuple(tokens(b)) for b in re.split(r"\n\s*\n", markdown)) if t]


def f1(reference: str, text: str) -> float:
    ref, got = Counter(tokens(reference)), Counter(tokens(text))
    common = sum((ref & got).values())
    if not common:
        return 0.0
    p, r = common / sum(got.values()), common / sum(ref.values())
    return 2 * p * r / (p + r)


@cache
def extracted(file: str) -> Extraction:
    entry = next(e for e in INDEX if e["file"] == file)
    return extract((CORPUS / file).read_bytes(), entry["mime"], entry["url"], timestamp=entry["timestamp"])


def text_of(slug: str, timestamp: str) -> str:
    entry = next(e for e in INDEX if e["slug"] == slug and e["timestamp"] == timestamp)
    return extracted(entry["file"]).text


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_every_capture_extracts(entry: dict[str, Any]) -> None:
    result = extracted(entry["file"])
    assert result.extractor_version == EXTRACTOR_VERSION
    assert result.words > 1000
    assert result.language == entry["lang"]
    assert "\ufffd" not in result.text
    assert not set(result.flags) & {
        Flag.SHORT_TEXT,
        Flag.SOFT_404,
        Flag.JS_SHELL,
        Flag.WALL,
        Flag.REPLACEMENT_CHARS,
    }
    assert result.charset_rule == ("pdf" if entry["mime"] == "application/pdf" else "meta")
    assert from_markdown(result.text).text == result.text  # our Markdown re-imports to itself


HTML = [e for e in INDEX if e["mime"] == "text/html"]
EXTRACTION_DATA = CORPUS.parent / "extraction"
_BODY = re.compile(rb"<body\b[^>]*>", re.I)


def _wall_markup() -> bytes:
    """Every kind of wall marker at once, as the hand-made walls carry them: a OneTrust banner with
    its loader, a Didomi notice with the IAB TCF stub, and a header login form with a password field."""
    onetrust = (EXTRACTION_DATA / "wall_consent_onetrust.html").read_text(encoding="utf-8")
    didomi = (EXTRACTION_DATA / "wall_consent_didomi.html").read_text(encoding="utf-8")
    banner = onetrust[onetrust.index('<div id="onetrust-consent-sdk">') : onetrust.index("</body>")]
    loader = onetrust[onetrust.index('<script src="https://cdn.cookielaw.org') : onetrust.index("</head>")]
    notice = didomi[didomi.index('<div id="didomi-host"') : didomi.index('<div id="page"')]
    stub = didomi[didomi.index("<script") : didomi.index("<link")]
    login = (
        "<header class='account-bar'><form action='/session' method='post'><input type=email name=login>"
        "<input type=password name=password><button>Log in</button></form><a href='/signup'>Sign up</a></header>"
    )
    return (loader + stub + login + notice + banner).encode()


@pytest.mark.parametrize("entry", HTML, ids=[e["file"] for e in HTML])
def test_wall_markers_around_a_real_policy_are_not_a_wall(entry: dict[str, Any]) -> None:
    """docs/fault-cases.md case 19 without false positives: no real page has a wall marker of its
    own, and with a consent banner, a consent loader and a login form put in, each is still policy
    text with the same flags and the same text (the banner and the form are not in the text)."""
    raw = (CORPUS / entry["file"]).read_bytes()
    assert wall_marker(decode(raw, entry["mime"]).text) == ""
    body = _BODY.search(raw)
    assert body is not None
    walled = raw[: body.end()] + _wall_markup() + raw[body.end() :]
    assert wall_marker(decode(walled, entry["mime"]).text) == "login"  # the markers are there
    result = extract(walled, entry["mime"], entry["url"], timestamp=entry["timestamp"])
    assert Flag.WALL not in result.flags
    assert result.flags == extracted(entry["file"]).flags
    assert result.text == extracted(entry["file"]).text


def test_f1_against_the_hand_written_selector_references() -> None:
    scores = {
        e["file"]: f1(
            (CORPUS / e["reference"]["file"]).read_text(encoding="utf-8"), extracted(e["file"]).text
        )
        for e in WITH_REF
    }
    worst = min(scores, key=lambda k: scores[k])
    assert scores[worst] >= 0.97, f"{worst}: F1 {scores[worst]:.4f}"
    assert statistics.fmean(scores.values()) >= 0.99
    html_scores = [s for f, s in scores.items() if f.endswith(".html")]
    assert min(html_scores) >= 0.99  # single-policy HTML pages: near-perfect


def test_markup_only_changes_give_byte_identical_text() -> None:
    # GitHub changed its heading-anchor markup; the text stayed
    assert text_of("github-privacy", "20230425183000") == text_of("github-privacy", "20230501183000")
    # Heloa alternates a 146 KB and a 236 KB site build with the same visible text
    builds = {text_of("heloa-privacy-fr", t) for t in ("20250718003012", "20250826123011", "20250902003011")}
    assert len(builds) == 1


def _collapse_repeats(seq: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return [b for i, b in enumerate(seq) if i == 0 or b != seq[i - 1]]


def test_no_false_and_no_missed_changes_between_consecutive_captures() -> None:
    """Where two references are the same text our texts are byte-identical, and where they differ
    ours differ. A reference block repeated right after itself counts once: OTA's selectors match
    Heloa's title twice in one of its two site builds, whose visible text is the same."""
    by_slug: dict[str, list[dict[str, Any]]] = {}
    for e in WITH_REF:
        by_slug.setdefault(e["slug"], []).append(e)
    checked = 0
    for entries in by_slug.values():
        for a, b in zip(entries, entries[1:], strict=False):
            ref_a = _collapse_repeats(blocks((CORPUS / a["reference"]["file"]).read_text(encoding="utf-8")))
            ref_b = _collapse_repeats(blocks((CORPUS / b["reference"]["file"]).read_text(encoding="utf-8")))
            same_text = extracted(a["file"]).text == extracted(b["file"]).text
            assert same_text == (ref_a == ref_b), f"{a['file']} -> {b['file']}"
            checked += 1
    assert checked == 16


def test_real_text_changes_show() -> None:
    assert text_of("github-privacy", "20230501183000") != text_of("github-privacy", "20231013183001")
    # Heloa: visible text identical but one capture splits paragraphs differently (separate <p>s)
    assert text_of("heloa-privacy-fr", "20250826123011") != text_of("heloa-privacy-fr", "20250901123010")
    # Heloa: one sub-processor renamed
    old, new = text_of("heloa-privacy-fr", "20250926123039"), text_of("heloa-privacy-fr", "20250927003036")
    assert "Configuration des murs de paie : RevenueCat" in old
    assert "Péages de lecture numérique : RevenueCat" in new


def test_navigation_cookie_banner_and_footer_are_not_in_the_text() -> None:
    github = text_of("github-privacy", "20250916003008")
    assert "Skip to main content" not in github and "All products" not in github
    assert "Help and support" not in github and "Contact support" not in github  # footer
    heloa = text_of("heloa-privacy-fr", "20250718003012")
    assert heloa.startswith("# Politique de confidentialité\n\n*En vigueur au 13 décembre 2024*")
    assert "Mentions légales" not in heloa  # footer menu (the policy says "Mentions Légales")
    tinder = text_of("tinder-privacy", "20220407003230")
    assert tinder.startswith("## Our Commitment To You")
    assert "## 1. Who We Are" in tinder or "### 1. Who We Are" in tinder


def test_markdown_shape_headings_lists_tables() -> None:
    tinder = text_of("tinder-privacy", "20240531183348")
    assert "\n| --- |" in tinder or "|---" in tinder or "| --- " in tinder  # a Markdown table
    assert re.search(r"^\| .+ \| .+ \|$", tinder, re.M)
    assert re.search(r"^1\. .+\n2\. ", tinder, re.M)  # the numbered table of contents
    github = text_of("github-privacy", "20230425183000")
    assert re.search(r"^## .+", github, re.M) and re.search(r"^- .+", github, re.M)
    assert "**" in github


def test_stated_dates() -> None:
    assert extracted("tinder-privacy/20220407003230.html").stated_date == "2022-01-17"
    assert extracted("github-privacy/20230425183000.html").stated_date == "2022-12-15"
    assert extracted("github-privacy/20240203003002.html").stated_date == "2024-02-01"
    assert extracted("heloa-privacy-fr/20250718003012.html").stated_date == "2024-12-13"
    assert extracted("doctolib-privacy-pdf-fr/20250718003000.pdf").stated_date == "2025-04-01"


def test_transient_partial_capture_looks_truncated() -> None:
    entries = [e for e in INDEX if e["slug"] == "tinder-privacy"]
    results = [extracted(e["file"]) for e in entries]
    items = [SequenceItem(r.words, r.language, r.text_sha256, section_keys(r.text)) for r in results]
    flags = sequence_flags(items)
    flagged = [e["timestamp"] for e, f in zip(entries, flags, strict=True) if Flag.TRUNCATED in f]
    assert flagged == ["20250417003349"]
    # with the texts loaded only on demand, the answer is the same
    lazy = [SequenceItem(r.words, r.language, r.text_sha256, load_text=lambda r=r: r.text) for r in results]
    assert sequence_flags(lazy) == flags


def test_pdf_pages_are_marked_and_ligatures_resolved() -> None:
    result = extracted("doctolib-privacy-pdf-fr/20250718003000.pdf")
    markers = re.findall(r"^<!-- page (\d+) -->$", result.text, re.M)
    assert markers == [str(n) for n in range(1, len(markers) + 1)] and len(markers) > 10
    assert not re.search("[\ufb00-\ufb06]", result.text)
    assert "confidentialité" in result.text
    assert "Politique de protection des Données à caractère personnel" in result.text
    # the layout is reflowed into paragraphs, not one word per line
    assert (
        statistics.median(len(p.split()) for p in result.text.split("\n\n") if not p.startswith("<!--")) > 5
    )

"""The parsed page (archiver/extraction/dom.py): what lxml gives extraction, and its edges."""

from __future__ import annotations

import pytest
from lxml import etree

from archiver.errors import ExtractionError
from archiver.extraction import extract
from archiver.extraction.content import select
from archiver.extraction.dom import cut, parse, pieces, replace_keeping_tail, text_of, words_of


def test_a_page_with_no_element_is_an_empty_page() -> None:
    for markup in ("", "   \n", "<!DOCTYPE html>", '<?xml version="1.0" encoding="utf-8"?>'):
        assert etree.tostring(parse(markup)) == b"<html><body/></html>"


def test_an_xhtml_declaration_in_a_decoded_page_is_read_past() -> None:
    # lxml refuses a str that declares an encoding; decode() has already used it
    root = parse('<?xml version="1.0" encoding="iso-8859-1"?>\n<html><body><p>Données</p></body></html>')
    assert text_of(root) == "Données"


def test_comments_and_processing_instructions_are_not_text() -> None:
    root = parse("<p>one<!-- hidden -->two<?php echo 1 ?></p>")
    assert text_of(root) == "onetwo"


def test_a_cut_element_leaves_the_text_around_it_in_two_pieces() -> None:
    root = parse("<p>Privacy<span>MENU</span>Policy, in <b>full</b>.</p>")
    p = root.find(".//p")
    cut(p.find("span"))
    assert text_of(p) == "PrivacyPolicy, in full."
    # two pieces, as before the cut: a word never spans the place where an element was
    assert words_of(p) == ["Privacy", "Policy,", "in", "full", "."]
    assert [x if isinstance(x, str) else x.tag for x in pieces(p)][:3] == [
        "Privacy",
        "policydiff-cut",
        "Policy, in ",
    ]


def test_a_banner_replaced_by_its_heading_keeps_the_text_after_it() -> None:
    root = parse("<body><header><a>Logo</a><h1>Privacy</h1>after h1</header>Effective 2024<p>x</p></body>")
    header = root.find(".//header")
    replace_keeping_tail(header, header.find("h1"))
    assert text_of(root) == "PrivacyEffective 2024x"


def test_nesting_past_the_parsers_limit_is_refused_not_read_in_part() -> None:
    deep = "<div>" * 300 + "<p>the policy</p>" + "</div>" * 300
    with pytest.raises(ExtractionError, match="nested too deeply"):
        parse(deep)
    with pytest.raises(ExtractionError) as raised:
        extract(f"<html><body>{deep}</body></html>".encode(), "text/html")
    assert str(raised.value) == "HTML nested too deeply to extract"


def test_css_selectors_read_with_html_rules() -> None:
    root = parse(
        "<main><DIV Class='Policy'><h2>A</h2><p>1</p><p>2</p></DIV><div class='promo'>ad</div></main>"
    )
    assert [el.tag for el in select(root, "div.Policy > p")] == ["p", "p"]
    assert [text_of(el) for el in select(root, "main > div:not(.promo)")] == ["A12"]
    assert [text_of(el) for el in select(root, "div:has(> h2)")] == ["A12"]
    with pytest.raises(ExtractionError, match="bad CSS selector 'div >'"):
        select(root, "div >")

"""Decoding archived bytes: legacy encodings made by re-encoding real policy text.

The texts in tests/data/extraction/ are real policies (see its README); each test renders one as a
small HTML page, encodes it the way an old site would have, and checks that extraction gives the
original text back with no replacement character, and says which rule decided.
"""

from __future__ import annotations

import gzip
import html
import re
from pathlib import Path

import pytest

from archiver.extraction import extract, from_markdown
from archiver.extraction.decoding import codec_for, decode, meta_charset
from archiver.models import Flag

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "extraction"


def _inline(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text, quote=False))


def markdown_page(markdown: str, head: str = "") -> str:
    """A small HTML page (nav, main, footer) for Markdown of headings, paragraphs and flat lists."""
    body: list[str] = []
    for block in markdown.strip().split("\n\n"):
        lines = block.split("\n")
        heading = re.match(r"(#{1,6}) (.*)", block)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif all(line.startswith("- ") for line in lines):
            body.append("<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            body.append(f"<p>{'<br>'.join(_inline(line) for line in lines)}</p>")
    return (
        f"<!DOCTYPE html>\n<html><head>{head}<title>Policy</title></head>\n<body>"
        "<nav><a href='/'>Home</a> <a href='/help'>Help</a></nav>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n<footer>Example Inc.</footer></body></html>\n"
    )


def policy(lang: str) -> str:
    return (FIXTURES / f"policy_{lang}.txt").read_text(encoding="utf-8")


CASES = [
    # (id, text, Python encoder, archived Content-Type, <meta>, expected codec, expected rule)
    ("cp1252-no-charset-anywhere", "fr", "cp1252", "text/html", "", "cp1252", "detected"),
    ("cp1252-no-content-type", "fr", "cp1252", "", "", "cp1252", "detected"),
    ("cp1252-declared-iso-8859-1", "fr", "cp1252", "text/html; charset=ISO-8859-1", "", "cp1252", "http"),
    ("gbk-meta-gb2312", "zh", "gbk", "text/html", '<meta charset="gb2312">', "gb18030", "meta"),
    ("gbk-no-charset", "zh", "gbk", "text/html", "", "gb18030", "detected"),
    ("shift-jis-http", "ja", "shift_jis", "text/html; charset=Shift_JIS", "", "cp932", "http"),
    ("shift-jis-no-charset", "ja", "shift_jis", "text/html", "", "cp932", "detected"),
    ("euc-kr-http", "ko", "euc-kr", "text/html; charset=EUC-KR", "", "cp949", "http"),
    (
        "euc-kr-meta-ks_c_5601",
        "ko",
        "euc-kr",
        "text/html",
        '<meta charset="ks_c_5601-1987">',
        "cp949",
        "meta",
    ),
    (
        "http-latin1-contradicted-by-meta-gbk",
        "zh",
        "gbk",
        "text/html; charset=iso-8859-1",
        '<meta http-equiv="Content-Type" content="text/html; charset=gbk">',
        "gb18030",
        "meta",
    ),
    (
        "http-utf8-contradicted-by-meta-gbk",
        "zh",
        "gbk",
        "text/html; charset=utf-8",
        '<meta charset="gbk">',
        "gb18030",
        "meta",
    ),
    (
        "http-shift-jis-contradicted-by-meta-utf8",
        "ja",
        "utf-8",
        "text/html; charset=shift_jis",
        '<meta charset="utf-8">',
        "utf-8",
        "meta",
    ),
    ("gbk-served-as-latin1-no-meta", "zh", "gbk", "text/html; charset=ISO-8859-1", "", "gb18030", "detected"),
    ("utf8-served-as-latin1", "fr", "utf-8", "text/html; charset=iso-8859-1", "", "utf-8", "detected"),
]


@pytest.mark.parametrize(
    ("text", "encoder", "content_type", "meta", "codec", "rule"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_legacy_encodings_decode_to_the_original_text(
    text: str, encoder: str, content_type: str, meta: str, codec: str, rule: str
) -> None:
    markdown = policy(text)
    body = markdown_page(markdown, meta).encode(encoder)
    result = extract(body, content_type)
    assert "\ufffd" not in result.text
    assert Flag.REPLACEMENT_CHARS.value not in result.flags
    assert result.text == from_markdown(markdown).text
    assert (codec_for(result.charset), result.charset_rule) == (codec, rule)
    assert 0.0 < result.charset_confidence <= 1.0
    assert result.language == text


def test_the_fixtures_really_are_non_ascii_in_their_legacy_encodings() -> None:
    # guards the tests above against a fixture that would decode under any codec
    for lang, encoder in (("fr", "cp1252"), ("zh", "gbk"), ("ja", "shift_jis"), ("ko", "euc-kr")):
        raw = policy(lang).encode(encoder)
        assert sum(b >= 0x80 for b in raw) > 50
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")


def test_bom_wins_over_a_contradicting_header() -> None:
    body = b"\xef\xbb\xbf" + markdown_page(policy("ja")).encode("utf-8")
    result = extract(body, "text/html; charset=shift_jis")
    assert (result.charset, result.charset_rule) == ("utf-8", "bom")
    assert result.text == from_markdown(policy("ja")).text


def test_utf16_with_bom() -> None:
    body = markdown_page(policy("ko")).encode("utf-16")
    result = extract(body, "text/html")
    assert result.charset_rule == "bom" and result.text == from_markdown(policy("ko")).text


def test_gzipped_body_is_decompressed_first() -> None:
    body = gzip.compress(markdown_page(policy("fr")).encode("cp1252"))
    result = extract(body, "text/html; charset=windows-1252")
    assert result.text == from_markdown(policy("fr")).text


def test_whatwg_label_mapping() -> None:
    assert codec_for("ISO-8859-1") == "cp1252"
    assert codec_for("us-ascii") == "cp1252"
    assert codec_for("GB2312") == "gb18030"
    assert codec_for("x-sjis") == "cp932"
    assert codec_for("euc-kr") == "cp949"
    assert codec_for("big5") == "big5hkscs"
    assert codec_for("tis-620") == "cp874"
    assert codec_for("iso-8859-9") == "cp1254"
    assert codec_for("utf-16le") == "utf-8"  # a utf-16 label on ASCII-compatible bytes means utf-8
    assert codec_for("no-such-charset") is None


def test_meta_prescan_reads_both_meta_forms() -> None:
    assert meta_charset(b'<html><head><meta charset="Shift_JIS">') == "Shift_JIS"
    assert meta_charset(b"<meta http-equiv='Content-Type' content='text/html; charset=euc-kr'>") == "euc-kr"
    assert meta_charset(b"<?xml version='1.0' encoding='windows-1252'?><html>") == "windows-1252"
    assert meta_charset(b" " * 3000 + b'<meta charset="gbk">') is None  # beyond the prescan window


def test_undecodable_bytes_are_flagged_not_raised() -> None:
    # UTF-8 declared, with bytes that are not UTF-8 and no better guess: replacement characters flagged
    body = b"<html><body><p>" + b"Privacy policy text " * 30 + b"\xff\xfe\xfa caf\xe9</p></body></html>"
    result = extract(body, "text/html; charset=utf-8")
    assert result.text  # text, not an exception
    decoded = decode(body, "text/html; charset=utf-8")
    assert decoded.rule in ("detected", "default")
    assert "\ufffd" not in decoded.text or Flag.REPLACEMENT_CHARS.value in result.flags

"""Decoding archived bytes: legacy encodings made by re-encoding real policy text.

The texts in tests/data/extraction/ are real policies (see its README); each test renders one as a
small HTML page, encodes it the way an old site would have, and checks that extraction gives the
original text back with no replacement character, and says which rule decided. Where bytes cannot be
decoded (a stray cp1252 quote in a UTF-8 page, a byte Big5 lacks), the test puts them at a known
place and checks that exactly they become U+FFFD, flagged, and that the rest of the text is intact
(docs/fault-cases.md case 23).
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
    # Big5 (Traditional Chinese); WHATWG decodes every big5 label as Big5-HKSCS
    ("big5-http", "zh_hant", "big5", "text/html; charset=big5", "", "big5hkscs", "http"),
    ("big5-meta", "zh_hant", "big5", "text/html", '<meta charset="big5">', "big5hkscs", "meta"),
    (
        "big5-meta-http-equiv-x-x-big5",
        "zh_hant",
        "big5",
        "text/html",
        '<meta http-equiv="Content-Type" content="text/html; charset=x-x-big5">',
        "big5hkscs",
        "meta",
    ),
    ("big5-no-charset", "zh_hant", "big5", "text/html", "", "big5hkscs", "detected"),
    ("big5-no-content-type", "zh_hant", "big5", "", "", "big5hkscs", "detected"),
    (
        "big5-served-as-latin1",
        "zh_hant",
        "big5",
        "text/html; charset=iso-8859-1",
        "",
        "big5hkscs",
        "detected",
    ),
    ("big5-served-as-utf8", "zh_hant", "big5", "text/html; charset=utf-8", "", "big5hkscs", "detected"),
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
    assert result.language == text.split("_")[0]


def test_the_fixtures_really_are_non_ascii_in_their_legacy_encodings() -> None:
    # guards the tests above against a fixture that would decode under any codec
    pairs = (("fr", "cp1252"), ("zh", "gbk"), ("ja", "shift_jis"), ("ko", "euc-kr"), ("zh_hant", "big5"))
    for lang, encoder in pairs:
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


#: An ASCII marker put into a text, to be replaced by undecodable bytes once the page is encoded.
MARK = "QQMARKQQ"


def _marked(markdown: str) -> str:
    """The Markdown with MARK at the start of its first paragraph."""
    blocks = markdown.split("\n\n")
    first = next(i for i, block in enumerate(blocks) if not block.startswith(("#", "-", "*")))
    blocks[first] = MARK + blocks[first]
    return "\n\n".join(blocks)


UNDECODABLE = [
    # (id, text, encoder, archived Content-Type, <meta>, bytes put at MARK, what they decode to, codec, rule)
    (
        "utf8-page-bytes-never-valid-in-utf8",
        "fr",
        "utf-8",
        "text/html",
        "",
        b"\xff\xfe\xc0",
        "\ufffd\ufffd\ufffd",
        "utf-8",
        "detected",
    ),
    (
        "utf8-declared-page-bytes-never-valid-in-utf8",
        "ko",
        "utf-8",
        "text/html; charset=utf-8",
        "",
        b"\xff\xfe\xc0",
        "\ufffd\ufffd\ufffd",
        "utf-8",
        "http",
    ),
    (
        "big5-byte-big5-lacks",
        "zh_hant",
        "big5",
        "text/html; charset=big5",
        "",
        b"\xff",
        "\ufffd",
        "big5hkscs",
        "http",
    ),
    (
        "gbk-byte-gbk-lacks",
        "zh",
        "gbk",
        "text/html",
        '<meta charset="gbk">',
        b"\xff",
        "\ufffd",
        "gb18030",
        "meta",
    ),
    (
        "shift-jis-unassigned-lead-byte",
        "ja",
        "shift_jis",
        "text/html; charset=Shift_JIS",
        "",
        b"\x85\x40",
        "\ufffd@",
        "cp932",
        "http",
    ),
]


@pytest.mark.parametrize(
    ("text", "encoder", "content_type", "meta", "bad", "shown", "codec", "rule"),
    [c[1:] for c in UNDECODABLE],
    ids=[c[0] for c in UNDECODABLE],
)
def test_undecodable_bytes_are_flagged_not_raised(
    text: str, encoder: str, content_type: str, meta: str, bad: bytes, shown: str, codec: str, rule: str
) -> None:
    markdown = _marked(policy(text))
    body = markdown_page(markdown, meta).encode(encoder).replace(MARK.encode(), bad)
    with pytest.raises(UnicodeDecodeError):
        body.decode(encoder)  # the bytes really are undecodable in the page's encoding
    result = extract(body, content_type)
    # the page's own encoding is kept: exactly the bad bytes are U+FFFD, the rest is the original text
    assert result.text == from_markdown(markdown.replace(MARK, shown)).text
    assert result.text.count("\ufffd") == shown.count("\ufffd")
    assert Flag.REPLACEMENT_CHARS in result.flags
    assert (codec_for(result.charset), result.charset_rule) == (codec, rule)
    assert result.charset_confidence < 1.0  # not a clean decode
    decoded = decode(body, content_type)
    assert decoded.replacements == shown.count("\ufffd")


def test_utf8_declared_with_no_valid_utf8_byte_keeps_utf8_and_flags_them() -> None:
    # The page says UTF-8 and its only non-ASCII bytes are not UTF-8. Four bytes are far too few for
    # a detector (charset-normalizer calls them "cp775, confidence 1.0" and turns "caf\xe9" into
    # "cafķ"): the declaration stands and the bytes show as U+FFFD, as in a browser.
    body = b"<html><body><p>" + b"Privacy policy text " * 30 + b"\xff\xfe\xfa caf\xe9</p></body></html>"
    result = extract(body, "text/html; charset=utf-8")
    assert (result.charset, result.charset_rule) == ("utf-8", "http")
    assert result.text == ("Privacy policy text " * 30).strip() + " \ufffd\ufffd\ufffd caf\ufffd\n"
    assert Flag.REPLACEMENT_CHARS in result.flags
    assert result.charset_confidence < 1.0


def test_a_few_stray_bytes_with_nothing_declared_are_windows_1252_not_a_guess() -> None:
    # No charset anywhere and two non-ASCII bytes: the docs/protocols.md §7 final fallback (windows-1252, what
    # browsers assume for such a page), not a statistical guess from two bytes (cp1250, cp852...).
    body = (
        b"<html><body><p>"
        + b"We collect your personal data when you use our services. " * 20
        + b"We\x92ll say what we do with it, caf\xe9 included.</p></body></html>"
    )
    result = extract(body, "text/html")
    assert (result.charset, result.charset_rule) == ("cp1252", "default")
    # 0x92 is cp1252's ’, which version identity writes ' (markdown.normalize_text)
    assert result.text.endswith("services. We'll say what we do with it, café included.\n")
    assert Flag.REPLACEMENT_CHARS not in result.flags


STRAY_CP1252 = [
    # (id, archived Content-Type, <meta>, expected rule)
    ("utf8-declared-in-http", "text/html; charset=utf-8", "", "http"),
    ("utf8-declared-in-meta", "text/html", '<meta charset="utf-8">', "meta"),
    ("nothing-declared", "text/html", "", "detected"),
    ("no-content-type", "", "", "detected"),
    ("server-default-latin1", "text/html; charset=ISO-8859-1", "", "detected"),
    ("server-default-windows-1252", "text/html; charset=windows-1252", "", "detected"),
]


@pytest.mark.parametrize(
    ("content_type", "meta", "rule"), [c[1:] for c in STRAY_CP1252], ids=[c[0] for c in STRAY_CP1252]
)
def test_a_utf8_page_with_stray_cp1252_bytes_stays_utf8(content_type: str, meta: str, rule: str) -> None:
    # A UTF-8 page into which someone pasted cp1252 text: five right single quotes as 0x92 and one
    # "é" as 0xe9. Browsers decode it as UTF-8 and show those six bytes as U+FFFD; decoding the
    # whole page as cp1252 instead would turn every other accent into mojibake ("Ã©").
    markdown = policy("fr")
    stray = markdown.replace("’", "QQQUOTEQQ", 5).replace("données", "donnQQEQQes", 1)
    body = (
        markdown_page(stray, meta).encode("utf-8").replace(b"QQQUOTEQQ", b"\x92").replace(b"QQEQQ", b"\xe9")
    )
    assert body.count(b"\x92") == 5 and body.count("’".encode()) == markdown.count("’") - 5
    result = extract(body, content_type)
    assert (result.charset, result.charset_rule) == ("utf-8", rule)
    expected = stray.replace("QQQUOTEQQ", "\ufffd").replace("QQEQQ", "\ufffd")
    assert result.text == from_markdown(expected).text
    assert result.text.count("\ufffd") == 6
    assert "é" in result.text and "Ã" not in result.text  # the rest of the page decoded as UTF-8
    assert Flag.REPLACEMENT_CHARS in result.flags
    assert result.charset_confidence < 1.0


def test_big5_labels_decode_as_big5_hkscs() -> None:
    # 嘅 is in Big5-HKSCS, not in plain Big5: a browser decodes a page labelled "big5" with it
    text = "本網站重視您嘅個人資料"
    body = text.encode("big5hkscs")
    with pytest.raises(UnicodeDecodeError):
        body.decode("big5")
    decoded = decode(body, "text/html; charset=big5")
    assert (decoded.text, decoded.charset, decoded.rule, decoded.replacements) == (
        text,
        "big5hkscs",
        "http",
        0,
    )


SAME_TEXT = [
    # (text, [(encoder, archived Content-Type, <meta>), ...]): one text, archived in several encodings
    (
        "fr",
        [
            ("cp1252", "text/html; charset=windows-1252", ""),
            ("cp1252", "text/html", ""),
            ("utf-8", "text/html; charset=utf-8", ""),
            ("utf-8", "text/html; charset=iso-8859-1", ""),
            ("utf-8-sig", "text/html", ""),
            ("utf-16", "text/html", ""),
        ],
    ),
    (
        "zh",
        [
            ("gbk", "text/html", '<meta charset="gb2312">'),
            ("gb18030", "text/html; charset=gb18030", ""),
            ("utf-8", "text/html; charset=utf-8", ""),
        ],
    ),
    (
        "zh_hant",
        [("big5", "text/html; charset=big5", ""), ("big5", "text/html", ""), ("utf-8", "text/html", "")],
    ),
    (
        "ja",
        [
            ("shift_jis", "text/html; charset=Shift_JIS", ""),
            ("euc_jp", "text/html", '<meta charset="euc-jp">'),
            ("utf-8", "text/html", '<meta charset="utf-8">'),
        ],
    ),
    ("ko", [("euc-kr", "text/html; charset=EUC-KR", ""), ("utf-8", "text/html; charset=utf-8", "")]),
]


@pytest.mark.parametrize(("text", "variants"), SAME_TEXT, ids=[t for t, _ in SAME_TEXT])
def test_the_same_text_in_any_encoding_extracts_to_the_same_text(
    text: str, variants: list[tuple[str, str, str]]
) -> None:
    # A diff must not report changes caused only by a different decoding: the version identity
    # (text_sha256) of one text is the same whatever encoding the archived bytes are in.
    markdown = policy(text)
    bodies = [markdown_page(markdown, meta).encode(encoder) for encoder, _, meta in variants]
    assert len({(body, ct) for body, (_, ct, _) in zip(bodies, variants, strict=True)}) == len(variants)
    assert len(set(bodies)) > 1  # different bytes...
    results = [extract(body, ct) for body, (_, ct, _) in zip(bodies, variants, strict=True)]
    assert {r.text_sha256 for r in results} == {from_markdown(markdown).text_sha256}  # ...one text
    assert not any(Flag.REPLACEMENT_CHARS in r.flags for r in results)

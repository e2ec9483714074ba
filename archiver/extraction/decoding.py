"""Raw bytes + archived Content-Type -> text, deterministically (docs/protocols.md §7).

Order: gzip magic, BOM, the HTTP charset, the ``<meta>`` charset in the first 2048 bytes, then
charset-normalizer, then cp1252 with replacement. Labels are mapped per the WHATWG Encoding
Standard before a Python codec is chosen (``iso-8859-1`` means windows-1252, ``gb2312`` means
gb18030, ...). The result records which rule decided and how sure it was.

Bytes the chosen encoding cannot decode become U+FFFD and are counted (the extraction flags them),
as a browser shows them: a UTF-8 page with a few stray cp1252 bytes stays UTF-8, and a declared
encoding is kept when there are too few non-ASCII bytes for a statistical guess to mean anything.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from dataclasses import dataclass

#: WHATWG label -> Python codec, for the labels whose Python meaning differs from the browser's.
_WHATWG: dict[str, str] = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "x-cp1252": "cp1252",
    "cp819": "cp1252",
    "ibm819": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "iso-ir-58": "gb18030",
    "cp936": "gb18030",
    "gb18030": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "windows-949": "cp949",
    "cseuckr": "cp949",
    "iso-ir-149": "cp949",
    "korean": "cp949",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "windows-874": "cp874",
    "dos-874": "cp874",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "windows-1254": "cp1254",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "iso-2022-jp": "iso2022_jp",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "koi8-r": "koi8_r",
    "koi8-u": "koi8_u",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
}

#: Labels a default-configured server sends whatever the page is in.
_DEFAULT_LOOKING = {"cp1252"}

_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:()+-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:()+-]+)", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._:()+-]+)", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from raw bytes, and how the encoding was decided."""

    text: str
    charset: str  # the Python codec used
    rule: str  # bom | http | meta | detected | default
    confidence: float  # 1.0 for a declared encoding that decoded strictly
    replacements: int  # U+FFFD characters introduced (or already present) in the text


def codec_for(label: str) -> str | None:
    """The Python codec for a charset label per WHATWG, or None if unknown."""
    key = label.strip().strip("\"'").lower()
    if not key:
        return None
    if key in _WHATWG:
        return _WHATWG[key]
    if key.startswith("utf-16") or key.startswith("utf-32"):
        return "utf-8"  # a declared utf-16 label on ASCII-compatible bytes means utf-8 (WHATWG)
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    return _WHATWG.get(name, name)


def http_charset(content_type: str) -> str | None:
    match = _HTTP_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset a ``<meta>`` (or XML declaration) in the first 2048 bytes declares."""
    head = body[:2048]
    match = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def gunzip_if_needed(body: bytes) -> bytes:
    """Archives sometimes hand back still-compressed bodies (docs/protocols.md §7); give the payload."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError, zlib.error):
        try:  # truncated gzip stream: take what decompresses
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body)
        except zlib.error:
            return body


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _has_multibyte_utf8(body: bytes) -> bool:
    return any(b >= 0x80 for b in body)


def decode(body: bytes, content_type: str = "") -> Decoded:
    """Decode ``body`` (already gunzipped) per docs/protocols.md §7; never raises."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body[len(bom) :].decode(codec, "replace")
            return Decoded(text, codec, "bom", 1.0, text.count("\ufffd"))

    http_label = http_charset(content_type)
    http_codec = codec_for(http_label) if http_label else None
    meta_label = meta_charset(body)
    meta_codec = codec_for(meta_label) if meta_label else None

    # Old servers defaulted the header to ISO-8859-1: UTF-8 bytes that decode strictly win.
    declared_default = http_codec in _DEFAULT_LOOKING or (
        http_codec is None and meta_codec in _DEFAULT_LOOKING
    )
    if declared_default and _has_multibyte_utf8(body):
        as_utf8 = _strict(body, "utf-8")
        if as_utf8 is not None:
            return Decoded(as_utf8, "utf-8", "detected", 0.99, as_utf8.count("\ufffd"))

    candidates: list[tuple[str, str]] = []
    if http_codec and meta_codec and http_codec != meta_codec and http_codec in _DEFAULT_LOOKING:
        candidates = [("meta", meta_codec), ("http", http_codec)]
    else:
        if http_codec:
            candidates.append(("http", http_codec))
        if meta_codec and meta_codec != http_codec:
            candidates.append(("meta", meta_codec))

    # UTF-8 with a few stray bytes (a cp1252 quote pasted into a UTF-8 page): UTF-8 with U+FFFD for
    # the stray bytes, as browsers show it, not the whole page misread as a server-default cp1252.
    if all(codec == "utf-8" or codec in _DEFAULT_LOOKING for _, codec in candidates):
        mixed = _mostly_utf8(body)
        if mixed is not None:
            rule = next((r for r, codec in candidates if codec == "utf-8"), "detected")
            return Decoded(mixed, "utf-8", rule, 0.8 if rule == "detected" else 0.9, mixed.count("\ufffd"))

    for rule, codec in candidates:
        declared = _strict(body, codec)
        if declared is None or (codec in _DEFAULT_LOOKING and _looks_cjk_misread(body, candidates)):
            continue
        if (
            codec in _DEFAULT_LOOKING
            and rule == "http"
            and len(candidates) == 1
            and _has_multibyte_utf8(body)
        ):
            # a server-default label on bytes that look like a CJK multi-byte encoding
            guess = _detect(body, [], only=_MULTIBYTE)
            if guess is not None:
                return guess
        return Decoded(declared, codec, rule, 1.0, declared.count("\ufffd"))

    if not _has_multibyte_utf8(body):
        codec = candidates[0][1] if candidates else "utf-8"
        return Decoded(body.decode("ascii"), codec, candidates[0][0] if candidates else "default", 1.0, 0)
    utf8 = _strict(body, "utf-8")
    if utf8 is not None:
        return Decoded(utf8, "utf-8", "detected", 0.99, utf8.count("\ufffd"))
    # Browsers never give up a declared encoding: a few bad bytes become U+FFFD (and are flagged).
    # With fewer non-ASCII bytes than a detector needs, the declaration stands however many are bad.
    few = len(body.translate(None, _ASCII)) < FEW_NON_ASCII
    for rule, codec in candidates:
        lenient = body.decode(codec, "replace")
        bad = lenient.count("\ufffd")
        if few or bad <= max(3, len(lenient) // 2000):
            return Decoded(lenient, codec, rule, 0.9, bad)
    mixed = _mostly_utf8(body)
    if mixed is not None:
        return Decoded(mixed, "utf-8", "detected", 0.8, mixed.count("\ufffd"))
    if few:  # nothing declared and nothing to detect from: the final fallback, not a coin toss
        return _fallback(body)
    return _detect(body, [codec for _, codec in candidates]) or _fallback(body)


#: Below this many non-ASCII bytes a statistical guess is noise: charset-normalizer calls an English
#: page with four stray bytes "cp775" (or cp1250, cp852...) with confidence 1.0.
FEW_NON_ASCII = 16
#: A body is UTF-8 with stray bytes when it has at least this many valid multi-byte UTF-8 sequences
#: per byte invalid in UTF-8. Legacy CJK text (GBK, Big5, Shift_JIS, EUC-JP/KR) forms a valid
#: sequence by chance for one invalid byte in three to seven; cp1252 text almost never does.
MOSTLY_UTF8 = 2
_ASCII = bytes(range(0x80))
_UTF8_REPLACEMENT = "\ufffd".encode()


def _mostly_utf8(body: bytes) -> str | None:
    """``body`` decoded as UTF-8 with U+FFFD for its invalid bytes, when it is UTF-8 text with a few
    stray bytes; None when it is valid UTF-8 (no replacement needed) or not UTF-8 at all."""
    lenient = body.decode("utf-8", "replace")
    if lenient.count("\ufffd") == body.count(_UTF8_REPLACEMENT):
        return None  # no invalid byte: the strict rules decide
    sample = body[:200_000]
    bad = sample.decode("utf-8", "replace").count("\ufffd") - sample.count(_UTF8_REPLACEMENT)
    valid = _utf8_sequences(sample)
    return lenient if valid and valid >= MOSTLY_UTF8 * bad else None


#: Codecs of legacy multi-byte (CJK) encodings, the ones a Latin-1 server default hides.
_MULTIBYTE = frozenset(
    {
        "gb18030",
        "gbk",
        "gb2312",
        "big5",
        "big5hkscs",
        "cp932",
        "shift_jis",
        "euc_jp",
        "euc_jis_2004",
        "cp949",
        "euc_kr",
        "iso2022_jp",
    }
)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _utf8_sequences(body: bytes) -> int:
    return len(_UTF8_SEQUENCE.findall(body[:200_000]))


def _looks_cjk_misread(body: bytes, candidates: list[tuple[str, str]]) -> bool:
    """cp1252 decodes almost anything; distrust it when another declared codec also works."""
    return any(codec not in _DEFAULT_LOOKING and _strict(body, codec) is not None for _, codec in candidates)


def _detect(body: bytes, declared: list[str], only: frozenset[str] | None = None) -> Decoded | None:
    """charset-normalizer's best guess, first among the declared codecs; ``only`` restricts the
    answer to those codecs (None when it guesses something else)."""
    from charset_normalizer import from_bytes

    sample = body if len(body) <= 400_000 else body[:400_000]
    best = None
    if declared:
        best = from_bytes(sample, cp_isolation=declared, preemptive_behaviour=False).best()
    if best is None:
        best = from_bytes(sample, preemptive_behaviour=False).best()
    if best is None:
        return None
    codec = codec_for(best.encoding) or best.encoding
    if only is not None and codec not in only and best.encoding not in only:
        return None
    text = _strict(body, codec)
    if text is None:
        text = body.decode(codec, "replace")
    confidence = round(max(0.0, 1.0 - float(best.chaos)), 3)
    return Decoded(text, codec, "detected", confidence, text.count("\ufffd"))


def _fallback(body: bytes) -> Decoded:
    text = body.decode("cp1252", "replace")
    return Decoded(text, "cp1252", "default", 0.0, text.count("\ufffd"))

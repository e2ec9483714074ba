"""Language guess and quality flags on one extraction, on a capture, and across neighbours."""

from __future__ import annotations

import lzma
import re
import shutil
import tempfile
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..models import Capture, Extraction, Flag

#: Below this many words a policy is suspiciously short.
SHORT_WORDS = 150
#: A page with an empty app mount point, script, and less text than this is a JavaScript shell
#: (docs/fault-cases.md case 22: "under 500 visible characters while <script> is heavy").
SHELL_CHARS = 500
#: Script that can render a page: one external script (counted as 2000) or 2 KB inline.
SHELL_SCRIPT_CHARS = 2000
#: A page with a consent-wall or login-wall marker and less text than this is the wall, not the
#: policy (docs/fault-cases.md case 19, "very short text"). Characters of extracted text, as for
#: SHELL_CHARS, rather than SHORT_WORDS: ``consent-or-login-wall`` leaves a version out of default
#: comparisons, so a short real policy on a site whose pages all load a consent platform must not
#: reach it. About 80 words; what a wall leaves once its banner and form are removed is a heading
#: and a line or two. A wall with more text than this is still ``short-text`` under SHORT_WORDS.
WALL_CHARS = 500

#: Letters a text needs before its own language is trusted over the page's declared one.
LANGUAGE_MIN_LETTERS = 40
#: Characters of the text the detector reads: enough for a stable answer, cheap on any page.
LANGUAGE_SAMPLE = 3000
_LETTER = re.compile(r"[^\W\d_]")
#: Markdown syntax, link targets and page markers: not language.
_MARKUP = re.compile(r"\]\([^)]*\)|<!--.*?-->|[#*_>|`\[\]]+")


def guess_language(text: str, declared: str = "") -> str:
    """The text's language as an ISO 639-1 code, by py3langid (a maintained langid.py, BSD, 97
    languages); ``declared`` (``<html lang>``) is the answer when the text has too few letters.
    A sample from past the text's first lines is read (titles and menus say little)."""
    plain = _plain_head(text)
    head = plain[: LANGUAGE_SAMPLE * 2]
    # the first lines nearly always have the letters: counted over the whole head only if not
    letters = len(_LETTER.findall(head[:500]))
    if letters < LANGUAGE_MIN_LETTERS and len(_LETTER.findall(head)) < LANGUAGE_MIN_LETTERS:
        return declared
    skip = min(len(plain) // 4, _SKIP)
    sample = plain[skip : skip + LANGUAGE_SAMPLE] if len(plain) - skip >= 500 else plain[:LANGUAGE_SAMPLE]
    language: Any = _identifier().classify(sample)[0]
    return str(language)


#: Characters of plain text skipped, at most, before the sample.
_SKIP = 2000
#: Characters of Markdown the sample is taken from when they are enough (see _plain_head).
_MARKDOWN_HEAD = 16000


def _plain_head(text: str) -> str:
    """``_MARKUP.sub(" ", text)``, or the start of it when that gives guess_language the same sample:
    at least 4 * _SKIP characters (the whole plain text is at least that long: the skip is _SKIP).
    Stripping the markup from the whole of a long page is most of what guess_language costs.

    The start is the markup stripped from the text up to a newline past _MARKDOWN_HEAD. It is the
    start of the whole text's when no match of _MARKUP crosses that newline: a comment and a run of
    markers end at a newline, and a link target ends at the first ")" after its "](", which is
    before the newline when one follows the last "](" before it."""
    cut = text.find("\n", _MARKDOWN_HEAD) + 1
    if cut:
        head = text[:cut]
        if "](" not in head or head.rfind(")") > head.rfind("](") + 1:
            plain = _MARKUP.sub(" ", head)
            if len(plain) >= 4 * _SKIP:
                return plain
    return _MARKUP.sub(" ", text)


_identifier_lock = threading.Lock()
_loaded: list[Any] = []
#: Bytes of the language model's transition table copied at a time while it loads.
_COPY_CHUNK = 1 << 20


def _identifier() -> Any:
    """py3langid's identifier, loaded once per process on first use (on the worker storing the first
    capture). Loaded here as ``py3langid.modelio.load_model`` does, except for one step: its loader
    copies the 40 MB transition table into an ``array`` in one C call that holds the GIL, which on a
    loaded machine froze the GUI thread for 120-220 ms during a fetch (docs/performance.md, "GUI
    thread"). Copied a megabyte at a time, other threads run between the copies."""
    with _identifier_lock:
        if not _loaded:
            import numpy as np
            from py3langid import langid

            with tempfile.TemporaryFile(suffix=".npz") as tmp:  # as py3langid: never all resident
                with lzma.open(langid.MODEL_DIR / langid.MODEL_FILE) as src:
                    shutil.copyfileobj(src, tmp, length=1 << 20)
                tmp.seek(0)
                with np.load(tmp, allow_pickle=False) as data:
                    _loaded.append(
                        langid.LanguageIdentifier(
                            np.asarray(data["ptc"]),
                            np.asarray(data["pc"]),
                            data["classes"].tolist(),
                            _stdlib_array(data["nextmove"]),
                            data["out_feat"].tolist(),
                            tk_row=_stdlib_array(data["nextmove_row"]),
                        )
                    )
        return _loaded[0]


def _stdlib_array(values: Any) -> array[int]:
    """An unsigned numpy array as the stdlib ``array`` py3langid walks, filled in chunks."""
    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    raw = memoryview(values.tobytes() if not values.flags.c_contiguous else values).cast("B")
    for start in range(0, len(raw), _COPY_CHUNK):
        out.frombytes(raw[start : start + _COPY_CHUNK])
    return out


_ERROR_TITLE = re.compile(
    r"\b(?:404|403|410|500|502|503)\b|not\s+found|page\s+(?:not|introuvable|nicht)|introuvable|"
    r"no\s+longer\s+(?:exists|available)|access\s+denied|forbidden|error|erreur|fehler|"
    r"something\s+went\s+wrong|can['’]?t\s+(?:be\s+)?found|does\s*n['’]?o?t\s+exist",
    re.I,
)
_JS_NEEDED = re.compile(
    r"enable\s+javascript|javascript\s+(?:is\s+)?(?:required|disabled)|activer\s+javascript|javascript\s+aktivieren|"
    r"you\s+need\s+to\s+enable",
    re.I,
)
_POLICY_WORDS = re.compile(
    r"privacy|personal\s+(?:data|information)|données|datenschutz|privacidad|privacidade|riservatezza|"
    r"cookies?|gdpr|rgpd|個人情報|隐私|개인정보",
    re.I,
)


def text_flags(
    text: str,
    words: int,
    title: str,
    replacements: int,
    script_chars: int,
    html_chars: int,
    app_root: bool = False,
    wall: str = "",
) -> list[str]:
    """Flags computable from one extraction alone.

    ``js-shell``: the archived HTML has no policy text because a script was to render it: little
    text while script makes up most of the page or the page asks for JavaScript, or an empty app
    mount point (``<div id="root">``) with script and under SHELL_CHARS characters of text.

    ``consent-or-login-wall``: a consent wall or a login wall was archived instead of the policy:
    ``wall`` names a marker in the HTML (a consent platform's container or loader, a login form:
    see html.wall_marker) and the page has under WALL_CHARS characters of text. Both are needed: a
    real policy page carries the same banner or login box. It replaces ``js-shell`` (a small wall
    page is mostly script, but the wall is what it shows)."""
    flags: list[str] = []
    if words < SHORT_WORDS:
        flags.append(Flag.SHORT_TEXT.value)
    head = title + " " + text[:600]
    if words < 400 and _ERROR_TITLE.search(head) and not _POLICY_WORDS.search(text[:3000]):
        flags.append(Flag.SOFT_404.value)
    script_heavy = words < 200 and (script_chars > 0.5 * html_chars or _JS_NEEDED.search(text))
    empty_app = app_root and script_chars >= SHELL_SCRIPT_CHARS and len(text.strip()) < SHELL_CHARS
    if wall and len(text.strip()) < WALL_CHARS:
        flags.append(Flag.WALL.value)
    elif html_chars and (script_heavy or empty_app):
        flags.append(Flag.JS_SHELL.value)
    if replacements:
        flags.append(Flag.REPLACEMENT_CHARS.value)
    return flags


def _registrable(host: str) -> str:
    """example.co.uk -> example.co.uk, www.example.com -> example.com (a small public-suffix guess)."""
    parts = host.lower().rstrip(".").split(".")
    if (
        len(parts) >= 3
        and len(parts[-1]) == 2
        and parts[-2] in {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"}
    ):
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def cross_domain(original_url: str, final_url: str) -> bool:
    a = urlsplit(original_url).hostname or ""
    b = urlsplit(final_url).hostname or ""
    return bool(a and b) and _registrable(a) != _registrable(b)


def capture_flags(capture: Capture, extraction: Extraction | None = None) -> tuple[str, ...]:
    """Flags that need the capture's HTTP facts: archived error status, cross-domain redirect."""
    flags: list[str] = []
    if capture.http_status is not None and capture.http_status >= 400:
        flags.append(Flag.ERROR_PAGE.value)
    if capture.redirects:
        hops = [capture.original_url, *capture.redirects]
        final = _final_url(capture)
        if any(cross_domain(capture.original_url, hop) for hop in hops[1:]) or (
            final and cross_domain(capture.original_url, final)
        ):
            flags.append(Flag.CROSS_DOMAIN_REDIRECT.value)
    if extraction is not None:
        flags.extend(f for f in extraction.flags if f not in flags)
    return tuple(flags)


def _final_url(capture: Capture) -> str:
    for name, value in capture.headers:
        if name.lower() == "content-location":
            return value
    return ""


@dataclass(frozen=True, slots=True)
class SequenceItem:
    """What :func:`sequence_flags` needs of one version: cheap fields, and the text only on demand.

    ``sections`` is the set of heading lines of the text (see :func:`section_keys`); leave it
    empty and give ``load_text`` to have it computed only where a capture looks suspicious.
    """

    words: int
    language: str
    text_sha256: str
    sections: frozenset[str] = frozenset()
    load_text: Callable[[], str] | None = field(default=None, compare=False)


_HEADING = re.compile(r"^#{1,6} +(.+)$", re.M)


def section_keys(text: str) -> frozenset[str]:
    """The headings of a Markdown text, lower-cased, used to tell a missing section."""
    return frozenset(" ".join(h.lower().split()) for h in _HEADING.findall(text))


#: A capture is truncated when it has this share fewer words than both neighbours, which agree.
TRUNCATION_DROP = 0.12


def _sections(item: SequenceItem) -> frozenset[str]:
    if item.sections:
        return item.sections
    if item.load_text is not None:
        return section_keys(item.load_text())
    return frozenset()


def sequence_flags(items: Sequence[SequenceItem]) -> list[tuple[str, ...]]:
    """Flags that need neighbours: language changed from the previous item, looks truncated.

    A capture "looks truncated" when it has clearly fewer words than both its neighbours, whose
    sizes agree with each other, and (when headings are known) headings both neighbours share
    are missing from it: a section gone and back in the next capture.
    """
    out: list[list[str]] = [[] for _ in items]
    cache: dict[int, frozenset[str]] = {}

    def sections(i: int) -> frozenset[str]:
        if i not in cache:
            cache[i] = _sections(items[i])
        return cache[i]

    for i, item in enumerate(items):
        if i and item.language and items[i - 1].language and item.language != items[i - 1].language:
            out[i].append(Flag.LANGUAGE_CHANGED.value)
        if 0 < i < len(items) - 1:
            prev, nxt = items[i - 1], items[i + 1]
            low = min(prev.words, nxt.words)
            high = max(prev.words, nxt.words)
            if low == 0 or item.words >= (1 - TRUNCATION_DROP) * low or high > 1.15 * low:
                continue
            if prev.text_sha256 == item.text_sha256 or nxt.text_sha256 == item.text_sha256:
                continue
            mine = sections(i)
            shared = sections(i - 1) & sections(i + 1)
            if shared and mine and not (shared - mine):
                continue  # every shared heading is there: shorter text, not a lost section
            out[i].append(Flag.TRUNCATED.value)
    return [tuple(f) for f in out]

"""Typed, immutable records that cross module boundaries. No raw dicts leave a module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Source(StrEnum):
    """Where a capture's bytes (or text) came from."""

    WAYBACK = "wayback"  # Internet Archive replay, id_ mode
    MEMENTO = "memento"  # any other Memento / pywb archive, id_ mode
    LIVE = "live"  # fetched from the site itself by `policydiff capture`
    FILE = "file"  # a local HTML/PDF file imported by the user
    PLLC = "pllc"  # Princeton-Leuven corpus Markdown: text only, no raw bytes
    WARC = "warc"  # a response record of an imported WARC file


class Flag(StrEnum):
    """Quality flags shown wherever a version is shown."""

    SHORT_TEXT = "short-text"
    ERROR_PAGE = "error-page"  # archived 4xx/5xx, or a page that says "not found"
    SOFT_404 = "soft-404"
    JS_SHELL = "js-shell"
    WALL = "consent-or-login-wall"  # a cookie-consent or login wall archived instead of the policy
    CROSS_DOMAIN_REDIRECT = "cross-domain-redirect"
    LANGUAGE_CHANGED = "language-changed"
    REPLACEMENT_CHARS = "replacement-chars"
    TRUNCATED = "looks-truncated"
    NO_RAW_BYTES = "text-only"  # imported as text (PLLC): no raw bytes to re-extract
    RULE_UNMATCHED = "rule-unmatched"  # the policy's extraction rule selected nothing; automatic text
    ARCHIVES_DISAGREE = "archives-disagree"  # another archive's capture of the same day has another text
    # the main-content step found little in a page with much more visible text: the text is the
    # page's largest prose region or its whole visible text (never empty while the page has text)
    LOW_CONFIDENCE = "low-confidence-extraction"


#: Flags saying a capture holds no policy text at all (an error page, a JavaScript shell, a consent
#: or login wall): such a version is kept and shown, but left out of default comparisons, so that it
#: never shows as "policy deleted" and back. A truncated capture is still policy text and stays in.
NOT_POLICY_TEXT = frozenset(
    {Flag.ERROR_PAGE.value, Flag.SOFT_404.value, Flag.JS_SHELL.value, Flag.WALL.value}
)


@dataclass(frozen=True, slots=True)
class ExtractionRule:
    """A per-policy override (Open Terms Archive's declaration idea), in force from ``valid_from``."""

    valid_from: str  # 14-digit UTC timestamp; "" means always
    select: tuple[str, ...] = ()  # CSS selectors whose content is the policy
    remove: tuple[str, ...] = ()  # CSS selectors removed before extraction


@dataclass(frozen=True, slots=True)
class Policy:
    """A tracked policy: one URL, whatever its scheme, ``www.`` or trailing-slash variants."""

    id: int
    url: str  # the URL as the user first gave it (normalised for display)
    key: str  # match key, see archiver.urls.policy_key
    label: str
    rules: tuple[ExtractionRule, ...] = ()
    captures: int = 0  # counts filled in by listings
    versions: int = 0


@dataclass(frozen=True, slots=True)
class Capture:
    """One stored capture: what an archive (or the site, or a file) returned, byte-exact."""

    id: int
    policy_id: int
    source: Source
    timestamp: str  # capture time, 14-digit UTC Wayback timestamp
    original_url: str  # the URL the archive recorded (the variant is kept)
    archive: str = ""  # replay prefix, e.g. https://web.archive.org/web/ ("" for files)
    memento_url: str = ""  # the id_ URL the bytes were fetched from ("" for files)
    retrieved_at: str = ""  # ISO 8601 UTC time we fetched / imported it
    http_status: int | None = None  # archived HTTP status
    headers: tuple[tuple[str, str], ...] = ()  # archived response headers, in order
    content_type: str = ""
    size: int = 0  # bytes of the raw body
    sha256: str | None = None  # of the raw body; None for text-only imports (PLLC)
    redirects: tuple[str, ...] = ()  # URLs followed before the final body, oldest first
    provenance: str = ""  # free text: file path, PLLC header link, WARC record id
    flags: tuple[str, ...] = ()  # capture-level flags (archived error status, cross-domain…)


@dataclass(frozen=True, slots=True)
class Extraction:
    """Policy text extracted from one capture by one extractor version."""

    text: str  # normalised policy Markdown
    text_sha256: str
    extractor_version: str
    words: int
    title: str = ""
    language: str = ""
    charset: str = ""
    charset_rule: str = ""  # bom | http | meta | detected | default | pdf | text
    charset_confidence: float = 1.0
    stated_date: str = ""  # "Last updated" date found in the text, ISO yyyy-mm-dd
    flags: tuple[str, ...] = ()
    #: the extractor's and the text-shaping libraries' versions it was made with
    #: (archiver/extraction/fingerprint.py); "" when made before fingerprints were kept
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class Version:
    """A distinct policy text: consecutive captures that carry the same words (archiver/sametext.py)."""

    policy_id: int
    text_sha256: str
    extractor_version: str
    words: int
    language: str
    stated_date: str
    captures: tuple[Capture, ...]  # oldest first; never empty
    flags: tuple[str, ...] = ()
    previous_capture: Capture | None = None  # last capture with the previous text (change window)
    index: int = 0  # position in the policy's history, 0 = oldest
    #: later captures whose text differs from the first's only in layout (whitespace, paragraph
    #: breaks, space-like characters): the same words, so the same version; the first's layout is kept
    layout_only: tuple[str, ...] = ()

    @property
    def timestamp(self) -> str:
        return self.captures[0].timestamp

    @property
    def first(self) -> Capture:
        return self.captures[0]

    @property
    def is_policy_text(self) -> bool:
        """False for an archived error page, a JavaScript shell or a consent/login wall (NOT_POLICY_TEXT)."""
        return not NOT_POLICY_TEXT.intersection(self.flags)


def baseline(versions: Sequence[Version], index: int) -> int | None:
    """The version that ``versions[index]`` is compared with by default: the nearest earlier one
    holding policy text (versions flagged NOT_POLICY_TEXT are skipped), None when there is none; for a version
    that is itself no policy text, simply its predecessor.
    """
    if not versions[index].is_policy_text:
        return index - 1 if index > 0 else None
    return next((i for i in range(index - 1, -1, -1) if versions[i].is_policy_text), None)


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    """One thing `verify` found wrong; ``capture_id`` is 0 for database-level problems."""

    capture_id: int
    what: str

    def __str__(self) -> str:
        return f"capture {self.capture_id}: {self.what}" if self.capture_id else self.what


@dataclass(frozen=True, slots=True)
class Progress:
    """A step of a long job, for progress bars and stderr lines."""

    done: int
    total: int  # 0 when unknown
    message: str = ""

"""The extraction fingerprint: everything that decides which text the same bytes give.

A version exists only when the extracted text changes, so the text must not move when nothing but
the software changed. ``EXTRACTOR_VERSION`` names our own code; the text also depends on the
libraries that parse and decode (lxml and the libxml2 it was built with, cssselect for the CSS
selectors of a policy's rules, charset-normalizer, and pypdfium2 with the PDFium it ships) and on
the Unicode tables of the Python that runs it (normalisation, what counts as a letter in a word).
Each extraction records the fingerprint it was made with (``name=version`` pairs, one string), and
``reextract`` treats a capture whose fingerprint differs from the current one as out of date.
"""

from __future__ import annotations

import functools
import importlib.metadata
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .pipeline import EXTRACTOR_VERSION

#: Distributions whose versions shape the text (read with importlib.metadata).
LIBRARIES = ("lxml", "cssselect", "charset-normalizer", "pypdfium2")
#: Parts that are not distributions: the C library lxml parses with, and Python's Unicode tables.
LIBXML2 = "libxml2"
UNICODE = "unicode"
NOT_INSTALLED = "none"

#: Where versions come from: a name of :data:`LIBRARIES`, :data:`LIBXML2` or :data:`UNICODE` ->
#: its version, or None when it is not installed. Tests pass their own.
VersionSource = Callable[[str], str | None]


def installed_version(name: str) -> str | None:
    """The version of ``name`` in this process."""
    if name == UNICODE:
        return unicodedata.unidata_version
    if name == LIBXML2:
        from lxml import etree

        return ".".join(str(n) for n in etree.LIBXML_VERSION)
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The extractor's version and each text-shaping component's, in a fixed order."""

    parts: tuple[tuple[str, str], ...]  # ("extractor", "extract-5"), ("lxml", "6.2.0")…

    @property
    def text(self) -> str:
        """The stored form: ``extractor=extract-5 lxml=6.2.0 …``."""
        return " ".join(f"{name}={version}" for name, version in self.parts)

    @classmethod
    def parse(cls, text: str) -> Fingerprint:
        """A stored fingerprint; an empty one (extracted before fingerprints were kept) has no parts."""
        parts = []
        for item in text.split():
            name, _, version = item.partition("=")
            parts.append((name, version))
        return cls(tuple(parts))

    def changes_from(self, older: Fingerprint) -> list[str]:
        """What differs from ``older``, one ``name old → new`` each, in this fingerprint's order."""
        if not older.parts:
            return ["no fingerprint recorded (extracted by an earlier policydiff)"]
        before = dict(older.parts)
        out = [
            f"{name} {before.get(name, NOT_INSTALLED)} → {version}"
            for name, version in self.parts
            if before.get(name, NOT_INSTALLED) != version
        ]
        now = dict(self.parts)
        out += [f"{name} {version} → {NOT_INSTALLED}" for name, version in older.parts if name not in now]
        return out


def fingerprint(versions: VersionSource = installed_version) -> Fingerprint:
    """The fingerprint of extraction with the components ``versions`` reports."""
    parts = [("extractor", EXTRACTOR_VERSION)]
    for name in (*LIBRARIES, LIBXML2, UNICODE):
        parts.append((name, versions(name) or NOT_INSTALLED))
    return Fingerprint(tuple(parts))


@functools.cache
def current_fingerprint() -> str:
    """This process's fingerprint, as stored (computed once)."""
    return fingerprint().text

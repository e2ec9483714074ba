"""Policy histories as data: CSV and JSON Lines (one row per version), Open Terms Archive folders
(``Service/Terms type/<timestamp>.md``) and Princeton-Leuven Markdown files.

Change statistics come from diffing each version against its predecessor with the project's diff
engine: words added and removed, and the changed share (``DiffStats.changed_ratio``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..analysis.answers import VersionAnswers, version_answers
from ..analysis.topics import load_watchlist, watchlist_path
from ..capture_dates import CaptureDate
from ..diffing import diff_texts
from ..models import Policy, Version, baseline
from ..pllc import format_pllc, pllc_origin
from ..portfolio import PolicyInfo, Portfolio, Review
from ..storage import Archive
from ..timestamps import to_datetime
from .output import ExportResult, FolderFile, Written, stream_single, write_folder
from .paths import StagedFile, safe_component, url_slug

#: Columns of the CSV export, in order (JSON Lines uses the same keys).
COLUMNS = (
    "policy_url",
    "policy_label",
    "policy_name",
    "policy_tags",
    "version",
    "timestamp",
    "last_timestamp",
    "change_window_start",
    "change_window_end",
    "captures",
    "words",
    "words_added",
    "words_removed",
    "changed_share",
    "compared_with",
    "flags",
    "language",
    "stated_date",
    "source",
    "date_source",
    "original_url",
    "memento_url",
    "sha256",
    "text_sha256",
    "extractor_version",
    "reviews",
    # issue 14: the stated date's readings, what the change is about, measures of the text
    "stated_date_readings",
    "topics",
    "topic_words",
    "priority",
    "sentences",
    "reading_minutes",
    "readability",
    "readability_formula",
    "third_parties",
    "third_parties_named",
)
TERMS_TYPE = "Privacy Policy"  # Open Terms Archive's name for this document type
WAYBACK_PREFIX = "https://web.archive.org/web/"


@dataclass(frozen=True, slots=True)
class VersionRow:
    policy: Policy
    version: Version
    text: str
    words_added: int | None  # None for a policy's first version (nothing to compare with)
    words_removed: int | None
    changed_share: float | None
    compared_with: int | None = None  # the version number the statistics are against
    info: PolicyInfo | None = None  # name and tags (archiver.portfolio)
    reviews: tuple[Review, ...] = ()  # the review log of this version's change
    date: CaptureDate | None = None  # where the first capture's date came from
    answers: VersionAnswers | None = None  # stated-date readings, topics of the change, measures

    def as_dict(self) -> dict[str, Any]:
        v, first = self.version, self.version.first
        return {
            "policy_url": self.policy.url,
            "policy_label": self.policy.label,
            "policy_name": self.info.name if self.info else self.policy.label,
            "policy_tags": list(self.info.tags) if self.info else [],
            "version": v.index + 1,
            "timestamp": v.timestamp,
            "last_timestamp": v.captures[-1].timestamp,
            "change_window_start": v.previous_capture.timestamp if v.previous_capture else None,
            "change_window_end": v.timestamp if v.previous_capture else None,
            "captures": len(v.captures),
            "words": v.words,
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "changed_share": round(self.changed_share, 6) if self.changed_share is not None else None,
            "compared_with": self.compared_with,
            "flags": list(v.flags),
            "language": v.language or None,
            "stated_date": v.stated_date or None,
            "source": str(first.source),
            "date_source": str(self.date.source) if self.date else None,
            "original_url": first.original_url,
            "memento_url": first.memento_url or None,
            "sha256": [c.sha256 for c in v.captures],
            "text_sha256": v.text_sha256,
            "extractor_version": v.extractor_version,
            "reviews": [
                {"reviewer": r.reviewer, "reviewed_at": r.reviewed_at, "note": r.note} for r in self.reviews
            ],
            **(self.answers or VersionAnswers()).as_dict(),
        }


def version_rows(archive: Archive, policies: Sequence[Policy]) -> Iterator[VersionRow]:
    """Every version of ``policies`` with its change statistics against the previous version that
    holds policy text (``models.baseline``, as the app compares): an archived error page, a JavaScript
    shell or a consent wall gets none, and never counts as the whole policy deleted and back.

    Each row also carries its answers (analysis.answers): the stated date's readings, the topics of
    its change (the archive's watchlist, else the shipped one) and the measures of its text.
    """
    watchlist = load_watchlist(watchlist_path(archive.root))
    portfolio = Portfolio(archive)
    infos = {i.policy.id: i for i in portfolio.infos()}
    for policy in policies:
        versions = archive.versions(policy.id)
        dates = archive.dates_of(v.first for v in versions)
        reviews = portfolio.reviews_by_version(policy)
        kept: tuple[int, str] = (-1, "")  # the last text read, usually the next version's baseline
        for version in versions:
            text = archive.text(version.text_sha256)
            base = baseline(versions, version.index) if version.is_policy_text else None
            info, log = infos.get(policy.id), reviews.get(version.timestamp, ())
            date = dates.get(version.first.id)
            if base is None:
                answers = version_answers(text, version.language, version.stated_date, None, watchlist)
                yield VersionRow(
                    policy,
                    version,
                    text,
                    None,
                    None,
                    None,
                    info=info,
                    reviews=log,
                    date=date,
                    answers=answers,
                )
            else:
                before = kept[1] if kept[0] == base else archive.text(versions[base].text_sha256)
                result = diff_texts(before, text)
                stats = result.stats
                added, removed, share = stats.words_added, stats.words_removed, stats.changed_ratio
                answers = version_answers(text, version.language, version.stated_date, result, watchlist)
                yield VersionRow(
                    policy,
                    version,
                    text,
                    added,
                    removed,
                    share,
                    base + 1,
                    info=info,
                    reviews=log,
                    date=date,
                    answers=answers,
                )
            if version.is_policy_text:
                kept = (version.index, text)


def _describe(policies: Sequence[Policy], what: str) -> str:
    scope = policies[0].url if len(policies) == 1 else f"{len(policies)} policies"
    return f"{what} of {scope}"


def export_csv(
    archive: Archive,
    policies: Sequence[Policy],
    path: Path,
    *,
    force: bool = False,
    tsa_url: str | None = None,
) -> ExportResult:
    """One row per version; list cells (flags, capture sha256s) are joined with ``;``."""

    def write(out: StagedFile) -> Written:
        count = 0
        with _text(out) as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\r\n")
            writer.writeheader()
            for row in version_rows(archive, policies):
                data = row.as_dict()
                data["flags"] = ";".join(data["flags"])
                data["policy_tags"] = ";".join(data["policy_tags"])
                data["reviews"] = " | ".join(
                    f"{r['reviewer']} {r['reviewed_at']}" + (f": {r['note']}" if r["note"] else "")
                    for r in data["reviews"]
                )
                data["sha256"] = ";".join(s or "" for s in data["sha256"])
                data.update(VersionAnswers.csv_cells(data))
                writer.writerow({k: _cell(v) for k, v in data.items()})
                count += 1
        return Written(_describe(policies, "CSV of versions"), count)

    return stream_single(path, write, force=force, tsa_url=tsa_url)


@contextlib.contextmanager
def _text(out: StagedFile) -> Iterator[io.TextIOWrapper]:
    """UTF-8 text over the export's file, written through in pieces (the file stays open after)."""
    fh = io.TextIOWrapper(out.file, encoding="utf-8", newline="", write_through=False)
    try:
        yield fh
    finally:
        fh.flush()
        fh.detach()


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text that starts like a formula (labels and titles
    come from archived pages and imported files) gets a leading apostrophe (OWASP's advice)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_jsonl(
    archive: Archive,
    policies: Sequence[Policy],
    path: Path,
    *,
    force: bool = False,
    tsa_url: str | None = None,
) -> ExportResult:
    """One JSON object per line and per version, with the CSV's columns as keys."""

    def write(out: StagedFile) -> Written:
        count = 0
        with _text(out) as fh:
            for row in version_rows(archive, policies):
                fh.write(json.dumps(row.as_dict(), ensure_ascii=False) + "\n")
                count += 1
        return Written(_describe(policies, "JSON Lines of versions"), count)

    return stream_single(path, write, force=force, tsa_url=tsa_url)


def iso_basic(timestamp: str) -> str:
    """``20230425183000`` → ``20230425T183000Z``: ISO 8601 basic format, valid on every file system."""
    return to_datetime(timestamp).strftime("%Y%m%dT%H%M%SZ")


def service_name(policy: Policy) -> str:
    host = policy.url.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    return policy.label or host


def export_ota(
    archive: Archive,
    policies: Sequence[Policy],
    root: Path,
    *,
    force: bool = False,
    tsa_url: str | None = None,
) -> ExportResult:
    """Open Terms Archive layout: ``<Service>/Privacy Policy/<timestamp>.md``, one file per version.

    The service is the policy's label (else its host); two policies with the same service name get
    their URL slug appended so they never share a folder.
    """
    names: dict[str, int] = {}
    for policy in policies:
        key = safe_component(service_name(policy)).casefold()
        names[key] = names.get(key, 0) + 1
    files: list[FolderFile] = []
    for policy in policies:
        service = safe_component(service_name(policy))
        if names[service.casefold()] > 1:
            service = safe_component(f"{service} {url_slug(policy.url)}")
        for version in archive.versions(policy.id):
            text = partial(_encoded_text, archive, version.text_sha256)
            files.append(((service, TERMS_TYPE, iso_basic(version.timestamp) + ".md"), text))
    return write_folder(
        root,
        files,
        description=_describe(policies, "Open Terms Archive versions"),
        force=force,
        tsa_url=tsa_url,
        items=len(files),
    )


def _encoded_text(archive: Archive, text_sha256: str) -> bytes:
    return archive.text(text_sha256).encode("utf-8")


def _pllc_doc(archive: Archive, version: Version) -> bytes:
    """The version as a Princeton-Leuven document whose header names where its first capture came
    from: a web archive's replay link only for a capture an archive holds (never an invented one)."""
    first = version.first
    text = archive.text(version.text_sha256)
    if first.archive:
        doc = format_pllc(first.original_url, version.timestamp, text, archive_prefix=first.archive)
    else:
        origin = pllc_origin(first)
        doc = format_pllc(first.original_url, version.timestamp, text, archive_prefix="", origin=origin)
    return doc.encode("utf-8")


def export_pllc(
    archive: Archive,
    policies: Sequence[Policy],
    root: Path,
    *,
    force: bool = False,
    tsa_url: str | None = None,
) -> ExportResult:
    """Princeton-Leuven Markdown, ``<url slug>/<timestamp>.md`` per version, header included, so that
    ``policydiff import`` of the folder's files gives the same versions back."""
    files: list[FolderFile] = []
    for policy in policies:
        folder = url_slug(policy.url)
        for version in archive.versions(policy.id):
            files.append(((folder, version.timestamp + ".md"), partial(_pllc_doc, archive, version)))
    return write_folder(
        root,
        files,
        description=_describe(policies, "Princeton-Leuven Markdown versions"),
        force=force,
        tsa_url=tsa_url,
        items=len(files),
    )

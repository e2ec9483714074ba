"""Policy histories as data: CSV and JSON Lines (one row per version), Open Terms Archive folders
(``Service/Terms type/<timestamp>.md``) and Princeton-Leuven Markdown files.

Change statistics come from diffing each version against its predecessor with the project's diff
engine: words added and removed, and the changed share (``DiffStats.changed_ratio``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.answers import VersionAnswers, version_answers
from ..analysis.topics import load_watchlist, watchlist_path
from ..diffing import diff_texts
from ..models import Policy, Version, baseline
from ..pllc import format_pllc
from ..storage import Archive
from ..timestamps import to_datetime
from .output import ExportResult, write_folder, write_single
from .paths import safe_component, url_slug

#: Columns of the CSV export, in order (JSON Lines uses the same keys).
COLUMNS = (
    "policy_url",
    "policy_label",
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
    "original_url",
    "memento_url",
    "sha256",
    "text_sha256",
    "extractor_version",
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
    answers: VersionAnswers | None = None

    def as_dict(self) -> dict[str, Any]:
        v, first = self.version, self.version.first
        return {
            "policy_url": self.policy.url,
            "policy_label": self.policy.label,
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
            "original_url": first.original_url,
            "memento_url": first.memento_url or None,
            "sha256": [c.sha256 for c in v.captures],
            "text_sha256": v.text_sha256,
            "extractor_version": v.extractor_version,
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
    for policy in policies:
        versions = archive.versions(policy.id)
        kept: tuple[int, str] = (-1, "")  # the last text read, usually the next version's baseline
        for version in versions:
            text = archive.text(version.text_sha256)
            base = baseline(versions, version.index) if version.is_policy_text else None
            if base is None:
                answers = version_answers(text, version.language, None, watchlist)
                yield VersionRow(policy, version, text, None, None, None, answers=answers)
            else:
                before = kept[1] if kept[0] == base else archive.text(versions[base].text_sha256)
                result = diff_texts(before, text)
                stats = result.stats
                added, removed, share = stats.words_added, stats.words_removed, stats.changed_ratio
                answers = version_answers(text, version.language, result, watchlist)
                yield VersionRow(policy, version, text, added, removed, share, base + 1, answers)
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
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in version_rows(archive, policies):
        data = row.as_dict()
        data["flags"] = ";".join(data["flags"])
        data["sha256"] = ";".join(s or "" for s in data["sha256"])
        data.update(VersionAnswers.csv_cells(data))
        writer.writerow({k: _cell(v) for k, v in data.items()})
        count += 1
    return write_single(
        path,
        buffer.getvalue().encode("utf-8"),
        description=_describe(policies, "CSV of versions"),
        force=force,
        tsa_url=tsa_url,
        items=count,
    )


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
    lines = [json.dumps(r.as_dict(), ensure_ascii=False) for r in version_rows(archive, policies)]
    return write_single(
        path,
        ("".join(line + "\n" for line in lines)).encode("utf-8"),
        description=_describe(policies, "JSON Lines of versions"),
        force=force,
        tsa_url=tsa_url,
        items=len(lines),
    )


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
    files: list[tuple[Sequence[str], bytes]] = []
    for policy in policies:
        service = safe_component(service_name(policy))
        if names[service.casefold()] > 1:
            service = safe_component(f"{service} {url_slug(policy.url)}")
        for version in archive.versions(policy.id):
            text = archive.text(version.text_sha256)
            files.append(((service, TERMS_TYPE, iso_basic(version.timestamp) + ".md"), text.encode("utf-8")))
    return write_folder(
        root,
        files,
        description=_describe(policies, "Open Terms Archive versions"),
        force=force,
        tsa_url=tsa_url,
        items=len(files),
    )


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
    files: list[tuple[Sequence[str], bytes]] = []
    for policy in policies:
        folder = url_slug(policy.url)
        for version in archive.versions(policy.id):
            first = version.first
            prefix = first.archive if first.archive.startswith(WAYBACK_PREFIX) else WAYBACK_PREFIX
            text = archive.text(version.text_sha256)
            doc = format_pllc(first.original_url, version.timestamp, text, archive_prefix=prefix)
            files.append(((folder, version.timestamp + ".md"), doc.encode("utf-8")))
    return write_folder(
        root,
        files,
        description=_describe(policies, "Princeton-Leuven Markdown versions"),
        force=force,
        tsa_url=tsa_url,
        items=len(files),
    )

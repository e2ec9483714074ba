"""Where each capture's date came from: the capture time is the evidence, so its source is stated.

A capture fetched from a web archive is dated by the archive (its 14-digit capture time), a live
capture by the moment policydiff fetched it, a WARC record by its WARC-Date, a Princeton-Leuven
file by its header's Wayback link. A local file is dated, in this order, by the HTTP ``Date``
saved with it (``wget --save-headers``), by a timestamp in its name (``20230425183000.html``,
``privacy-2023-04-25T18-30-00.html``, ``2023-04-25.html``), by ``--date``, or — only when asked
for with ``--date-from-mtime`` — by its modification time; otherwise the import is refused.

The source is kept in the ``capture_dates`` table (keyed by capture id, so the ledger's capture
rows are unchanged); a capture without a row takes the default of its source (:func:`default`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

from .models import Capture, Source
from .timestamps import from_datetime, is_timestamp


class DateSource(StrEnum):
    ARCHIVE = "archive"  # the web archive's capture time
    LIVE = "live-fetch"  # the moment policydiff fetched the live page
    WARC_RECORD = "warc-record"  # WARC-Date of the imported record
    PLLC_HEADER = "pllc-header"  # the capture time in a Princeton-Leuven header's Wayback link
    HTTP_DATE = "http-date"  # the HTTP Date header saved with the page
    FILE_NAME = "file-name"  # a timestamp in the imported file's name
    GIVEN = "given"  # --date, as the user gave it (or typed in the app)
    FILE_MTIME = "file-mtime"  # the file's modification time (--date-from-mtime): when it was saved
    UNRECORDED = "unrecorded"  # imported before sources were recorded: --date or the file's mtime


_WORDING = {
    DateSource.ARCHIVE: "the web archive's capture time",
    DateSource.LIVE: "the time policydiff fetched the live page",
    DateSource.WARC_RECORD: "the WARC record's WARC-Date",
    DateSource.PLLC_HEADER: "the Princeton-Leuven header (its Wayback capture time)",
    DateSource.HTTP_DATE: "the HTTP Date header saved with the page",
    DateSource.FILE_NAME: "a timestamp in the file name",
    DateSource.GIVEN: "given by the user at import",
    DateSource.FILE_MTIME: "the file's modification time (when the copy was saved, not the page)",
    DateSource.UNRECORDED: "not recorded (imported before policydiff kept it: --date or the file's "
    "modification time)",
}


@dataclass(frozen=True, slots=True)
class CaptureDate:
    """A capture time and where it came from; ``detail`` names the header, file or value."""

    timestamp: str
    source: DateSource
    detail: str = ""

    def describe(self) -> str:
        return _WORDING[self.source] + (f" ({self.detail})" if self.detail else "")


def default(capture: Capture) -> DateSource:
    """The date source of a capture without a recorded one."""
    return {
        Source.WAYBACK: DateSource.ARCHIVE,
        Source.MEMENTO: DateSource.ARCHIVE,
        Source.LIVE: DateSource.LIVE,
        Source.WARC: DateSource.WARC_RECORD,
        Source.PLLC: DateSource.PLLC_HEADER,
    }.get(capture.source, DateSource.UNRECORDED)


def record(conn: sqlite3.Connection, capture_id: int, date: CaptureDate) -> None:
    """Keep a capture's date source (inside the caller's write transaction)."""
    conn.execute(
        "INSERT OR REPLACE INTO capture_dates(capture_id, source, detail) VALUES (?, ?, ?)",
        (capture_id, str(date.source), date.detail),
    )


def lookup(conn: sqlite3.Connection, captures: Iterable[Capture]) -> dict[int, CaptureDate]:
    """Each capture's date and its source (recorded, else its source's default), by capture id."""
    wanted = list(captures)
    found: dict[int, tuple[str, str]] = {}
    ids = [c.id for c in wanted]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for capture_id, source, detail in conn.execute(
            f"SELECT capture_id, source, detail FROM capture_dates WHERE capture_id IN ({marks})", chunk
        ):
            found[int(capture_id)] = (str(source), str(detail))
    out: dict[int, CaptureDate] = {}
    for c in wanted:
        source, detail = found.get(c.id, (str(default(c)), ""))
        try:
            out[c.id] = CaptureDate(c.timestamp, DateSource(source), detail)
        except ValueError:  # a source a newer policydiff wrote: said as it is
            out[c.id] = CaptureDate(c.timestamp, DateSource.UNRECORDED, source)
    return out


# --- dates a local file carries ------------------------------------------------------------------

_NAME_14 = re.compile(r"(?<![0-9])([0-9]{14})(?![0-9])")
_NAME_ISO = re.compile(
    r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T_ ]([0-9]{2})[-:h]([0-9]{2})(?:[-:m]([0-9]{2}))?)?(?![0-9])"
)


def from_file_name(name: str) -> str | None:
    """A 14-digit or ISO 8601 timestamp in a file name (UTC), or None."""
    for match in _NAME_14.finditer(name):
        if is_timestamp(match.group(1)):
            return match.group(1)
    for match in _NAME_ISO.finditer(name):
        y, mo, d, h, mi, s = (g or "00" for g in match.groups())
        stamp = f"{y}{mo}{d}{h}{mi}{s}"
        if is_timestamp(stamp):
            return stamp
    return None


_STATUS_LINE = re.compile(rb"HTTP/[0-9.]+ +([0-9]{3})[^\r\n]*\r?\n")


@dataclass(frozen=True, slots=True)
class SavedResponse:
    """A page saved with its HTTP response head (``wget --save-headers``, ``curl -i``)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    date: str | None  # the Date header as a 14-digit timestamp, None if absent or unreadable


def saved_response(data: bytes) -> SavedResponse | None:
    """The response head a saved page starts with, or None when it starts with the page itself."""
    status = _STATUS_LINE.match(data)
    if status is None:
        return None
    end = -1
    for blank in (b"\r\n\r\n", b"\n\n"):
        at = data.find(blank, status.end() - 2)
        if at >= 0 and (end < 0 or at < end):
            end, size = at, len(blank)
    if end < 0 or end > 65536:
        return None
    headers: list[tuple[str, str]] = []
    for line in data[status.end() : end].decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip():
            headers.append((name.strip(), value.strip()))
    date = None
    raw = next((v for k, v in headers if k.lower() == "date"), "")
    if raw:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            date = from_datetime(when)
    return SavedResponse(int(status.group(1)), tuple(headers), data[end + size :], date)


def in_future(timestamp: str, now: datetime | None = None) -> bool:
    return timestamp > from_datetime(now or datetime.now(UTC))

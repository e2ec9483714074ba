"""WARC 1.1 export of stored captures (their import: archiver/exports/warc_import.py).

Export (one gzipped WARC, written with warcio): a ``warcinfo`` record, then per capture

* a ``response`` record: ``WARC-Target-URI`` = the original URL (ASCII form), ``WARC-Date`` = the
  capture time, the archived HTTP status and headers, the byte-exact body, sha256 block and payload
  digests; following pywb's convention for mementos loaded from another archive,
  ``WARC-Source-URI`` is the memento URL the bytes came from and ``WARC-Creation-Date`` when we got
  them. Headers the archive added on replay (``Memento-Datetime``, ``Link``, ``X-Archive-Src``…) are
  left out of the HTTP block and ``X-Archive-Orig-*`` headers get their original names back;
* a ``metadata`` record (``WARC-Concurrent-To`` the response, and no ``WARC-Target-URI``, which is
  optional there: pywb indexes metadata records that name a URI and would replay the JSON as the
  page) holding JSON provenance: the archive, memento URL, retrieval time, sha256, every header
  exactly as received, the redirect chain, the tool and extractor versions and the extraction
  fingerprint. Importing our own export reads it back, so captures compare equal.

The file streams to disk one capture at a time (:func:`write_warc` writes to any stream; a WACZ puts
it straight into its ZIP member), so an archive of any size exports in little memory.

Text-only captures (Princeton-Leuven imports) have no bytes and are skipped, with a note.

Import: every ``response`` record (and ``revisit`` of a payload seen earlier in the same files) of a
document type becomes a capture. The body is the record's payload with any transfer encoding
removed and the content encoding kept, i.e. the bytes ``WARC-Payload-Digest`` covers; a record
whose payload digest does not match is refused.
"""

from __future__ import annotations

import hashlib
import http
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit, urlunsplit

from .. import __version__
from ..errors import ArchiverError
from ..models import Capture, Extraction, Policy
from ..storage import Archive
from ..timestamps import from_datetime, now_iso, to_datetime
from .output import ExportResult, Written, stream_single
from .paths import StagedFile

log = logging.getLogger(__name__)

METADATA_TYPE = "application/json"
METADATA_KEY = "policydiff-capture"  # marks our metadata records
DOCUMENT_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "application/pdf",
    "text/plain",
    "text/markdown",
    "application/xml",
    "text/xml",
)
# Headers an archive adds when replaying (not part of the archived response).
_REPLAY_HEADERS = {
    "memento-datetime",
    "link",
    "content-location",
    "date",
    "server",
    "vary",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "set-cookie",
    "strict-transport-security",
    "permissions-policy",
    "referrer-policy",
    "content-security-policy",
    "server-timing",
    "x-app-server",
    "x-ts",
    "x-tr",
    "x-location",
    "x-rl",
    "x-na",
    "x-page-cache",
    "x-nid",
    "cache-control",
    "expires",
    "age",
    "via",
    "accept-ranges",
}
WARC_TYPES = {
    "warcinfo",
    "response",
    "resource",
    "request",
    "metadata",
    "revisit",
    "conversion",
    "continuation",
}
_HOP_BY_HOP = {"transfer-encoding", "content-length", "connection", "keep-alive"}


# --- export ----------------------------------------------------------------------------------------


def export_warc(
    archive: Archive,
    policies: Sequence[Policy],
    path: Path,
    *,
    force: bool = False,
    tsa_url: str | None = None,
) -> ExportResult:
    """Write every capture of ``policies`` with raw bytes to one gzipped WARC 1.1 file, streamed: one
    capture's bytes in memory at a time."""

    def write(out: StagedFile) -> Written:
        sink = CountingWriter(out.file)
        done = write_warc(archive, policies, sink, path.name)
        out.expected_sha256 = sink.digest.hexdigest()  # what reads back must be what was written
        what = exported_what(policies)
        return Written(f"WARC 1.1 export of {what}: {done.count} captures", done.count, done.skipped)

    return stream_single(path, write, force=force, tsa_url=tsa_url)


def exported_what(policies: Sequence[Policy]) -> str:
    """How an export's description names what it holds."""
    return "the whole archive" if len(policies) != 1 else policies[0].url


class CountingWriter:
    """The stream warcio writes to (it calls only ``write`` and ``flush``): bytes are passed on,
    counted (``offset``: where the next record starts) and hashed."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.offset = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.offset += len(data)
        self.digest.update(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


@dataclass(frozen=True, slots=True)
class IndexedResponse:
    """Where one response record is in an exported WARC, and what a WACZ index and page list say of it."""

    uri: str
    timestamp: str  # 14 digits
    mime: str
    status: str
    digest: str  # WARC-Payload-Digest
    offset: int
    length: int  # of the record's gzip member
    record_id: str
    title: str


@dataclass(frozen=True, slots=True)
class WarcWritten:
    count: int
    skipped: tuple[str, ...]
    responses: tuple[IndexedResponse, ...]


def write_warc(archive: Archive, policies: Sequence[Policy], out: CountingWriter, name: str) -> WarcWritten:
    """Write the gzipped WARC 1.1 of every capture of ``policies`` with raw bytes to ``out`` (``name``
    is the file name its warcinfo record gives), reading one capture's bytes at a time; with the
    number of captures written, what was skipped (one line each) and where each response landed."""
    from warcio.warcwriter import WARCWriter

    class _Sha256Writer(WARCWriter):  # type: ignore[misc]
        @staticmethod
        def _create_digester() -> Any:
            from warcio.utils import Digester

            return Digester("sha256")

    writer = _Sha256Writer(out, gzip=True, warc_version="1.1")
    exported_at = now_iso()
    info = writer.create_warcinfo_record(
        name,
        {
            "software": f"policydiff/{__version__} (warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "description": "Archived privacy-policy captures exported by policydiff; each response "
            "record is followed by a metadata record with its provenance (JSON).",
            "exported-at": exported_at,
            "policies": str(len(policies)),
        },
    )
    writer.write_record(info)
    skipped: list[str] = []
    responses: list[IndexedResponse] = []
    for policy in policies:
        for capture in archive.captures(policy.id):
            if capture.sha256 is None:
                skipped.append(f"{capture.original_url} @ {capture.timestamp}: text only (no raw bytes)")
                continue
            body = archive.read_body(capture)
            extraction = archive.extraction(capture.id)
            responses.append(_write_capture(writer, out, policy, capture, body, extraction, exported_at))
    return WarcWritten(len(responses), tuple(skipped), tuple(responses))


def _write_capture(
    writer: Any,
    out: CountingWriter,
    policy: Policy,
    capture: Capture,
    body: bytes,
    extraction: Extraction | None,
    exported_at: str,
) -> IndexedResponse:
    from warcio.statusandheaders import StatusAndHeaders

    uri = ascii_uri(capture.original_url)
    date = iso_date(capture.timestamp)
    status = capture.http_status or 200
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    headers = archived_headers(capture, body)
    http_headers = StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": date}
    if capture.memento_url:
        warc_headers["WARC-Source-URI"] = ascii_uri(capture.memento_url)
    if capture.retrieved_at:
        warc_headers["WARC-Creation-Date"] = capture.retrieved_at
    response = writer.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )
    offset = out.offset
    writer.write_record(response)
    record_id = response.rec_headers.get_header("WARC-Record-ID")
    mime = next((v for k, v in headers if k.lower() == "content-type"), "")
    indexed = IndexedResponse(
        uri=uri,
        timestamp=warc_timestamp(date),
        mime=mime.split(";")[0].strip().lower() or "unk",
        status=str(status),
        digest=response.rec_headers.get_header("WARC-Payload-Digest") or "",
        offset=offset,
        length=out.offset - offset,
        record_id=record_id,
        title=policy.label or uri,
    )
    meta = {
        METADATA_KEY: 1,
        "tool": "policydiff",
        "tool_version": __version__,
        "extractor_version": extraction.extractor_version if extraction else "",
        "extraction_fingerprint": extraction.fingerprint if extraction else "",
        "exported_at": exported_at,
        "policy": {"url": policy.url, "label": policy.label},
        "capture": capture_dict(capture),
    }
    payload = json.dumps(meta, indent=1, ensure_ascii=False).encode("utf-8")
    # No WARC-Target-URI (optional on metadata): replay tools index metadata records that have one
    # and pywb would then serve this JSON for the page at that time.
    metadata = writer.create_warc_record(
        None,
        "metadata",
        payload=io.BytesIO(payload),
        length=len(payload),
        warc_content_type=METADATA_TYPE,
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
    )
    writer.write_record(metadata)
    return indexed


def capture_dict(capture: Capture) -> dict[str, Any]:
    return {
        "source": str(capture.source),
        "timestamp": capture.timestamp,
        "original_url": capture.original_url,
        "archive": capture.archive,
        "memento_url": capture.memento_url,
        "retrieved_at": capture.retrieved_at,
        "http_status": capture.http_status,
        "headers": [list(h) for h in capture.headers],
        "content_type": capture.content_type,
        "size": capture.size,
        "sha256": capture.sha256,
        "redirects": list(capture.redirects),
        "provenance": capture.provenance,
        "flags": list(capture.flags),
    }


def archived_headers(capture: Capture, body: bytes) -> list[tuple[str, str]]:
    """The archived response's headers, from what the archive sent on replay (pywb's convention)."""
    replayed = any(k.lower().startswith("x-archive-orig-") for k, _ in capture.headers)
    out: list[tuple[str, str]] = []
    for name, value in capture.headers:
        low = name.lower()
        if low.startswith("x-archive-orig-"):
            name, low = name[len("X-Archive-Orig-") :], low[len("x-archive-orig-") :]
        elif replayed and (low in _REPLAY_HEADERS or low.startswith("x-archive-")):
            continue
        if low in _HOP_BY_HOP or low == "content-encoding" and not _encoded(body, value):
            continue
        if low == "location" and "/web/" in value:
            value = _unrewrite(value)
        out.append((name, value))
    names = {k.lower() for k, _ in out}
    if "content-type" not in names and capture.content_type:
        out.insert(0, ("Content-Type", capture.content_type))
    out.append(("Content-Length", str(len(body))))
    return out


def _encoded(body: bytes, encoding: str) -> bool:
    enc = encoding.strip().lower()
    if enc in ("gzip", "x-gzip"):
        return body[:2] == b"\x1f\x8b"
    return enc not in ("", "identity")


def _unrewrite(location: str) -> str:
    """``https://web.archive.org/web/2019…id_/https://x`` → ``https://x``."""
    _, _, rest = location.partition("/web/")
    stamp, _, target = rest.partition("/")
    return target if stamp[:1].isdigit() and "://" in target else location


def ascii_uri(url: str) -> str:
    """The URL in ASCII: IDNA host, percent-encoded path and query (what WARC readers expect)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = quote(host, safe="")
    netloc = host + (f":{parts.port}" if parts.port else "")
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    safe = "/%:@!$&'()*+,;=-._~"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe + "?"),
            quote(parts.fragment, safe=safe + "?"),
        )
    )


def iso_date(timestamp: str) -> str:
    return to_datetime(timestamp).strftime("%Y-%m-%dT%H:%M:%SZ")


def warc_timestamp(warc_date: str) -> str:
    text = warc_date.strip().replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ArchiverError(f"unreadable WARC-Date {warc_date!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return from_datetime(when)

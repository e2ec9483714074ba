"""WARC 1.1 export of stored captures, and import of WARC files (ours and other tools').

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

import base64
import hashlib
import http
import io
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import quote, urlsplit, urlunsplit

from .. import __version__
from ..errors import ArchiverError
from ..models import Capture, Extraction, Policy, Source
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
_WARC_TYPES = {
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


# --- import ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WarcResponse:
    """One response record read from a WARC, with our provenance when the WARC is our export."""

    record_id: str
    target_uri: str
    date: str  # 14-digit timestamp
    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    meta: dict[str, Any] | None
    source_uri: str
    creation_date: str
    offset: int


def import_warcs(archive: Archive, paths: Sequence[str]) -> list[Any]:
    """Import every document response record of the given WARC files (and of the WARCs inside WACZ
    packages: :func:`.wacz.import_wacz`); one ImportResult per record."""
    results: list[Any] = []
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() == ".wacz":
            from .wacz import import_wacz

            results.extend(import_wacz(archive, path))
        else:
            results.extend(import_file(archive, path, str(path), path.name))
    return results


def import_file(
    archive: Archive, path: Path, label: str, name: str, bodies: dict[str, bytes] | None = None
) -> list[Any]:
    """Import one WARC file; ``label`` names it in the results, ``name`` in the captures' provenance.
    ``bodies`` (payload digest -> body) carries revisits' originals over the WARCs of one package."""
    from ..pipeline import ImportResult

    results: list[Any] = []
    try:
        for item in _read_responses(path, label, {} if bodies is None else bodies):
            if isinstance(item, str):
                results.append(ImportResult(label, None, False, warning=item))
                continue
            where = f"{label}#{item.offset}"
            try:
                results.append(_store(archive, name, item, where))
            except ArchiverError as exc:
                results.append(ImportResult(where, None, False, error=str(exc)))
    except ArchiverError as exc:
        results.append(ImportResult(label, None, False, error=str(exc)))
    return results


def _store(archive: Archive, name: str, rec: WarcResponse, where: str) -> Any:
    from ..pipeline import ImportResult, store_capture

    sha = hashlib.sha256(rec.body).hexdigest()
    if rec.meta is not None:
        try:
            c = _checked_meta(rec.meta)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ArchiverError(
                f"its provenance record is malformed ({type(exc).__name__}: {exc}); not imported"
            ) from None
        if c.get("sha256") and c["sha256"] != sha:
            raise ArchiverError(f"body sha256 {sha} differs from its provenance record ({c['sha256']})")
        capture = Capture(
            id=0,
            policy_id=0,
            source=Source(c["source"]),
            timestamp=c["timestamp"],
            original_url=c["original_url"],
            archive=c.get("archive", ""),
            memento_url=c.get("memento_url", ""),
            retrieved_at=c.get("retrieved_at", ""),
            http_status=c.get("http_status"),
            headers=tuple((str(k), str(v)) for k, v in c.get("headers", [])),
            content_type=c.get("content_type", ""),
            redirects=tuple(c.get("redirects", [])),
            provenance=c.get("provenance", ""),
            flags=tuple(c.get("flags", [])),
        )
        policy = archive.ensure_policy(rec.meta["policy"]["url"], rec.meta["policy"].get("label", ""))
    else:
        content_type = next((v for k, v in rec.headers if k.lower() == "content-type"), "")
        capture = Capture(
            id=0,
            policy_id=0,
            source=Source.WARC,
            timestamp=rec.date,
            original_url=rec.target_uri,
            memento_url=rec.source_uri,
            retrieved_at=now_iso(),
            http_status=rec.status,
            headers=rec.headers,
            content_type=content_type,
            provenance=f"WARC record {rec.record_id} at offset {rec.offset} of {name}"
            + (f", created {rec.creation_date}" if rec.creation_date else ""),
        )
        policy = archive.ensure_policy(rec.target_uri)
    stored, created, warning = store_capture(archive, policy, replace(capture, policy_id=policy.id), rec.body)
    return ImportResult(where, stored, created, warning=warning)


def _checked_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The capture part of one of our metadata records, checked: a WARC is input like any other,
    and its values go into the archive and into later exports' headers."""
    c = meta["capture"]
    if not isinstance(meta["policy"]["url"], str) or not isinstance(c, dict):
        raise TypeError("policy url or capture missing")
    Source(c["source"])  # a known source, else ValueError
    to_datetime(c["timestamp"])  # 14 digits and a real time, else ValueError
    if not (isinstance(c["timestamp"], str) and len(c["timestamp"]) == 14 and c["timestamp"].isdigit()):
        raise ValueError(f"timestamp {c['timestamp']!r}")
    texts = [meta["policy"]["url"], meta["policy"].get("label", ""), c["original_url"]]
    texts += [c.get(k, "") for k in ("archive", "memento_url", "retrieved_at", "content_type", "provenance")]
    texts += [str(x) for pair in c.get("headers", []) for x in pair]
    texts += [str(x) for x in (*c.get("redirects", []), *c.get("flags", []))]
    if any(not isinstance(t, str) or _CONTROL.search(t) for t in texts):
        raise ValueError("a value holds control characters (line breaks in a header would forge another)")
    return dict(c)


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _read_responses(path: Path, label: str, bodies: dict[str, bytes]) -> Iterator[WarcResponse | str]:
    """Response records (revisits resolved with the payloads in ``bodies``, which grows with this
    file's), with our metadata attached; strings are notes about records left out."""
    try:
        metas = _our_metadata(path, label)
    except OSError as exc:
        raise ArchiverError(f"{label}: {exc.strerror or exc}") from None
    not_documents = records = 0
    with _open(path, label) as fh:
        for record in _iterate(label, fh):
            rtype = record.rec_type
            records += rtype in _WARC_TYPES and str(getattr(record, "format", "warc")).startswith("warc")
            if rtype not in ("response", "revisit") or record.http_headers is None:
                continue
            h = record.rec_headers
            record_id = h.get_header("WARC-Record-ID") or ""
            offset = getattr(record, "_pd_offset", 0)
            status_line = record.http_headers.get_statuscode()
            headers = tuple((str(k), str(v)) for k, v in record.http_headers.headers)
            digest = h.get_header("WARC-Payload-Digest") or ""
            if rtype == "revisit":
                body = bodies.get(_norm_digest(digest)) if digest else None
                if body is None:
                    yield f"revisit record {record_id}: its original payload was not read before it; skipped"
                    continue
            else:
                body, recorded = _payload(record)
                if digest and not (_digest_matches(digest, body) or _digest_matches(digest, recorded)):
                    note = f"record {record_id} at offset {offset}: payload does not match {digest}"
                    yield note + "; skipped"
                    continue
                if digest:
                    bodies[_norm_digest(digest)] = body
            content_type = record.http_headers.get_header("Content-Type") or ""
            meta = metas.get(record_id)
            if meta is None and not content_type.split(";")[0].strip().lower().startswith(DOCUMENT_TYPES):
                not_documents += 1
                continue
            date = warc_timestamp(h.get_header("WARC-Date") or "")
            yield WarcResponse(
                record_id=record_id,
                target_uri=(h.get_header("WARC-Target-URI") or "").strip("<>"),
                date=date,
                status=int(status_line) if status_line and status_line.isdigit() else None,
                headers=headers,
                body=body,
                meta=meta,
                source_uri=h.get_header("WARC-Source-URI") or "",
                creation_date=h.get_header("WARC-Creation-Date") or "",
                offset=offset,
            )
    if not records:
        raise ArchiverError(f"{label}: not a readable WARC file (no WARC records found)")
    if not_documents:
        yield f"{not_documents} records that are not documents (images, scripts, styles…) were left out"


def _open(path: Path, label: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise ArchiverError(f"{label}: no such file") from None
    except OSError as exc:
        raise ArchiverError(f"{label}: {exc.strerror or exc}") from None


def _iterate(label: str, fh: BinaryIO) -> Iterator[Any]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    iterator = ArchiveIterator(fh, no_record_parse=False)
    try:
        for record in iterator:
            record._pd_offset = iterator.offset
            yield record
    # warcio meets malformed input with assorted errors of its own parsing (a header line it cannot
    # split is an AttributeError, found by benchmarks/fuzz.py): each means an unreadable WARC. They
    # come only from the iteration: the caller's code runs outside this try, at the yield.
    except (ArchiveLoadFailed, ValueError, AttributeError, TypeError, IndexError, KeyError, EOFError) as exc:
        raise ArchiverError(f"{label}: not a readable WARC file ({str(exc).strip()[:200]})") from None


def _our_metadata(path: Path, label: str) -> dict[str, dict[str, Any]]:
    """Our metadata records by the response record they describe."""
    found: dict[str, dict[str, Any]] = {}
    with _open(path, label) as fh:
        for record in _iterate(label, fh):
            if record.rec_type != "metadata":
                continue
            h = record.rec_headers
            if (h.get_header("Content-Type") or "").split(";")[0].strip() != METADATA_TYPE:
                continue
            try:
                doc = json.loads(record.content_stream().read())
            except ValueError:
                continue
            target = h.get_header("WARC-Concurrent-To") or h.get_header("WARC-Refers-To")
            if isinstance(doc, dict) and doc.get(METADATA_KEY) and target:
                found[target] = doc
    return found


def _payload(record: Any) -> tuple[bytes, bytes]:
    """The HTTP entity body (transfer encoding removed, content encoding kept), and the bytes as
    recorded (a crawler may have digested those: warcio and wget do for chunked records)."""
    te = (record.http_headers.get_header("Transfer-Encoding") or "").lower()
    raw: bytes = record.raw_stream.read()
    if "chunked" in te:
        from warcio.bufferedreaders import ChunkedDataReader

        try:
            return bytes(ChunkedDataReader(io.BytesIO(raw), decomp_type=None).read()), raw
        except Exception:  # noqa: BLE001 - a body that merely says chunked is kept as is
            return raw, raw
    return raw, raw


def _norm_digest(digest: str) -> str:
    algo, _, value = digest.partition(":")
    return f"{algo.lower()}:{value.upper()}"


def _digest_matches(digest: str, body: bytes) -> bool:
    algo, _, value = digest.partition(":")
    name = algo.lower().replace("-", "")
    if name not in ("sha1", "sha256", "sha512", "md5"):
        return True  # an algorithm we cannot check is not a mismatch
    raw = hashlib.new(name, body).digest()
    return value in (
        base64.b32encode(raw).decode(),
        raw.hex(),
        raw.hex().upper(),
        base64.b64encode(raw).decode(),
    )


def warc_timestamp(warc_date: str) -> str:
    text = warc_date.strip().replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ArchiverError(f"unreadable WARC-Date {warc_date!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return from_datetime(when)

"""Import of WARC files, ours and other tools': each document ``response`` record becomes a capture;
when the WARC is our own export (archiver/exports/warc.py), its metadata records give each capture
its provenance back, so a re-imported capture compares equal to the one exported. Revisit records
are resolved against the responses of the same file (or package)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import ArchiverError
from ..models import Capture, Source
from ..storage import Archive
from ..timestamps import now_iso, to_datetime
from .warc import DOCUMENT_TYPES, METADATA_KEY, METADATA_TYPE, WARC_TYPES, warc_timestamp

log = logging.getLogger(__name__)


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
            records += rtype in WARC_TYPES and str(getattr(record, "format", "warc")).startswith("warc")
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

"""WACZ 1.2.0 export: the WARC export packaged so that replay tools open it as it is.

A WACZ (webrecorder/specs ``wacz/1.2.0``) is a ZIP holding the WARC (``archive/data.warc.gz``, stored
uncompressed in the ZIP so that readers can seek into it), a CDXJ index of its responses
(``indexes/index.cdx``: one line ``SURT TIMESTAMP {json}`` per capture, sorted, giving the record's
offset and length), the list of pages (``pages/pages.jsonl``), and ``datapackage.json``, which names
every file with its sha256 and size; ``datapackage-digest.json`` holds the hash of that package
description, so one hash anchors the whole package. ReplayWeb.page opens such a file directly and
pywb adds it with ``wb-manager add --unpack-wacz``; ``policydiff import`` reads its WARC back.

The WARC is the same as ``export --warc`` writes (one response and one provenance metadata record per
capture). Like every export, the ``.wacz`` gets a sha256 manifest beside it (and an RFC 3161
time-stamp on request); ``check_wacz`` re-checks the hashes inside the package.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputFileError
from ..models import Policy
from ..storage import Archive
from ..timestamps import now_iso
from .output import ExportResult, write_single
from .surt import surt
from .warc import METADATA_KEY, iso_date, warc_bytes, warc_timestamp

WARC_PATH = "archive/data.warc.gz"
INDEX_PATH = "indexes/index.cdx"  # CDXJ lines; pywb's --unpack-wacz only reads *.cdx / *.cdx.gz
PAGES_PATH = "pages/pages.jsonl"
PACKAGE = "datapackage.json"
PACKAGE_DIGEST = "datapackage-digest.json"


def export_wacz(
    archive: Archive,
    policies: Sequence[Policy],
    path: Path,
    *,
    force: bool = False,
    tsa_url: str | None = None,
) -> ExportResult:
    """Write every capture of ``policies`` with raw bytes to one WACZ file."""
    warc, count, skipped = warc_bytes(archive, policies, Path(WARC_PATH).name)
    what = "the whole archive" if len(policies) != 1 else policies[0].url
    data = wacz_bytes(warc, title=f"policydiff: {what}")
    return write_single(
        path,
        data,
        description=f"WACZ 1.2.0 export of {what}: {count} captures",
        force=force,
        tsa_url=tsa_url,
        items=count,
        skipped=skipped,
    )


def wacz_bytes(warc: bytes, *, title: str) -> bytes:
    """The WACZ package of one gzipped WARC written by :func:`.warc.warc_bytes`."""
    index, pages = _index(warc)
    created = now_iso()
    members = [
        (WARC_PATH, warc),
        (INDEX_PATH, "".join(line + "\n" for line in sorted(index)).encode("ascii")),
        (PAGES_PATH, "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages).encode("utf-8")),
    ]
    package = {
        "profile": "wacz",
        "title": title,
        "created": created,
        "software": f"policydiff {__version__}",
        "resources": [
            {"name": Path(name).name, "path": name, "hash": _sha256(data), "bytes": len(data)}
            for name, data in members
        ],
    }
    package_raw = json.dumps(package, indent=1, ensure_ascii=False).encode("utf-8")
    digest_raw = json.dumps({"path": PACKAGE, "hash": _sha256(package_raw)}, indent=1).encode("utf-8")
    members += [(PACKAGE, package_raw), (PACKAGE_DIGEST, digest_raw)]
    when = _zip_time(created)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=when)
            # the WARC is stored as it is, so that a reader can seek to a record's offset
            info.compress_type = zipfile.ZIP_STORED if name == WARC_PATH else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


def _index(warc: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """CDXJ lines and pages of the responses in ``warc``; a page's title is its policy's label."""
    from warcio.archiveiterator import ArchiveIterator

    lines: list[str] = []
    pages: dict[str, dict[str, Any]] = {}  # by the response's record id
    it = ArchiveIterator(io.BytesIO(warc))
    for record in it:
        headers = record.rec_headers
        kind = record.rec_type
        if kind == "response":
            uri = headers.get_header("WARC-Target-URI")
            timestamp = warc_timestamp(headers.get_header("WARC-Date"))
            http = record.http_headers
            mime = (http.get_header("Content-Type") or "").split(";")[0].strip().lower() if http else ""
            status = http.get_statuscode() if http else "200"
            digest = headers.get_header("WARC-Payload-Digest") or ""
            record_id = headers.get_header("WARC-Record-ID")
            it.read_to_end(record)
            entry = {
                "url": uri,
                "mime": mime or "unk",
                "status": status,
                "digest": digest,
                "length": str(it.get_record_length()),
                "offset": str(it.get_record_offset()),
                "filename": Path(WARC_PATH).name,
            }
            lines.append(f"{surt(uri)} {timestamp} {json.dumps(entry, separators=(',', ':'))}")
            pages[record_id] = {
                "id": record_id.removeprefix("<urn:uuid:").removesuffix(">").replace("-", ""),
                "url": uri,
                "ts": iso_date(timestamp),
                "title": uri,
            }
        elif kind == "metadata":
            meta = json.loads(record.content_stream().read())
            page = pages.get(headers.get_header("WARC-Concurrent-To"))
            if page is not None and isinstance(meta, dict) and meta.get(METADATA_KEY):
                label = (meta.get("policy") or {}).get("label")
                if label:
                    page["title"] = str(label)
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Archived policy captures"}
    return lines, [header, *pages.values()]


def check_wacz(path: Path) -> list[str]:
    """Problems found inside a WACZ: every file ``datapackage.json`` lists must be there with its
    sha256 and size, and ``datapackage-digest.json`` must hold the package's own hash. Empty when
    the package is whole."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if PACKAGE not in names:
                return [f"{path.name}: no {PACKAGE} (not a WACZ package)"]
            package_raw = zf.read(PACKAGE)
            package = json.loads(package_raw)
            for res in package["resources"]:
                name = str(res["path"])
                if name not in names:
                    problems.append(f"{path.name}: {name} is listed but missing")
                    continue
                data = zf.read(name)
                if _sha256(data) != res["hash"] or len(data) != int(res["bytes"]):
                    problems.append(f"{path.name}: {name} changed (its hash or size differs from {PACKAGE})")
            if PACKAGE_DIGEST in names:
                digest = json.loads(zf.read(PACKAGE_DIGEST))
                if digest.get("hash") != _sha256(package_raw):
                    problems.append(
                        f"{path.name}: {PACKAGE} changed (its hash differs from {PACKAGE_DIGEST})"
                    )
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError) as exc:
        problems.append(f"{path.name}: not a readable WACZ package ({exc})")
    return problems


def wacz_warcs(path: Path) -> list[tuple[str, bytes]]:
    """The WARC files inside a WACZ package (their names and bytes), for import."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [
                (name, zf.read(name))
                for name in zf.namelist()
                if name.startswith("archive/") and name.lower().endswith((".warc", ".warc.gz"))
            ]
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(str(path), f"not a readable WACZ package ({exc})") from None


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    """A ZIP entry time (local fields, no zone) from an ISO 8601 UTC time; ZIP starts in 1980."""
    year, month, day = (int(x) for x in iso[:10].split("-"))
    hour, minute, second = (int(x) for x in iso[11:19].split(":"))
    return max(year, 1980), month, day, hour, minute, second

"""WACZ export and import: the WARC export packaged so that replay tools open it as it is.

A WACZ (webrecorder/specs ``wacz/1.1.1``; 1.2.0 changed little but the ``profile`` value, see
:func:`write_wacz`) is a ZIP holding the WARC (``archive/data.warc.gz``, stored
uncompressed in the ZIP so that readers can seek into it), a CDXJ index of its responses
(``indexes/index.cdx``: one line ``SURT TIMESTAMP {json}`` per capture, sorted, giving the record's
offset and length), the list of pages (``pages/pages.jsonl``), and ``datapackage.json``, which names
every file with its sha256 and size; ``datapackage-digest.json`` holds the hash of that package
description, so one hash anchors the whole package. ReplayWeb.page opens such a file directly and
pywb adds it with ``wb-manager add --unpack-wacz``; ``policydiff import`` reads its WARC back.

The WARC is the same as ``export --warc`` writes (one response and one provenance metadata record per
capture). Like every export, the ``.wacz`` gets a sha256 manifest beside it (and an RFC 3161
time-stamp on request); ``check_wacz`` re-checks the hashes inside the package.

Import takes the WARCs under ``archive/`` (ours, ArchiveWeb.page's, Browsertrix's), one at a time
through a temporary copy, so a package of several gigabytes never sits in memory whole.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from .. import __version__
from ..errors import ArchiverError, InputFileError
from ..models import Policy
from ..storage import Archive
from ..timestamps import now_iso
from .output import ExportResult, Written, stream_single
from .paths import StagedFile
from .surt import surt
from .warc import (
    CountingWriter,
    IndexedResponse,
    WarcWritten,
    exported_what,
    iso_date,
    write_warc,
)
from .warc_import import import_file

WARC_PATH = "archive/data.warc.gz"
INDEX_PATH = "indexes/index.cdx"  # CDXJ lines: pywb's --unpack-wacz reads only *.cdx(.gz), wabac.js *.cdx too
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
    """Write every capture of ``policies`` with raw bytes to one WACZ file, zipped member by member:
    the WARC streams into its ZIP member one capture at a time, and the package is read back and
    checked against its own hashes before it takes its name."""
    what = exported_what(policies)

    def write(out: StagedFile) -> Written:
        done = write_wacz(archive, policies, out.file, title=f"policydiff: {what}")
        out.file.flush()
        problems = check_wacz(out.tmp)
        if problems:
            raise ArchiverError(
                f"cannot write {path}: the package did not read back as written ({problems[0]})"
            )
        return Written(f"WACZ export of {what}: {done.count} captures", done.count, done.skipped)

    return stream_single(path, write, force=force, tsa_url=tsa_url)


def write_wacz(archive: Archive, policies: Sequence[Policy], fh: BinaryIO, *, title: str) -> WarcWritten:
    """Write the WACZ package of ``policies``' captures to ``fh`` (seekable): the WARC that
    :func:`.warc.write_warc` writes, its CDXJ index and page list from where each record landed,
    then ``datapackage.json`` and its digest."""
    created = now_iso()
    when = _zip_time(created)
    resources: list[dict[str, Any]] = []
    # a member's size decides up front whether its header needs ZIP64 fields: estimate from the bodies
    estimate = sum(c.size + 4096 for p in policies for c in archive.captures(p.id))
    with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
        # the WARC is stored as it is, so that a reader can seek to a record's offset
        with zf.open(_member(WARC_PATH, when), "w", force_zip64=estimate > ZIP64_SAFE) as member:
            sink = CountingWriter(member)
            done = write_warc(archive, policies, sink, Path(WARC_PATH).name)
        resources.append(_resource(WARC_PATH, "sha256:" + sink.digest.hexdigest(), sink.offset))
        index = sorted(_cdxj(r) for r in done.responses)
        pages = [
            {"format": "json-pages-1.0", "id": "pages", "title": "Archived policy captures"},
            *(_page(r) for r in done.responses),
        ]
        members = [
            (INDEX_PATH, "".join(line + "\n" for line in index).encode("ascii")),
            (PAGES_PATH, "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages).encode("utf-8")),
        ]
        for name, data in members:
            zf.writestr(_member(name, when), data)
            resources.append(_resource(name, _sha256(data), len(data)))
        package = {
            # WACZ 1.2.0 says "wacz", but ReplayWeb.page (wabac.js) refuses any profile other than
            # "data-package" or "wacz-package": write what py-wacz and ArchiveWeb.page write (1.1.1)
            "profile": "data-package",
            "wacz_version": "1.1.1",
            "title": title,
            "created": created,
            "software": f"policydiff {__version__}",
            "resources": resources,
        }
        package_raw = json.dumps(package, indent=1, ensure_ascii=False).encode("utf-8")
        digest_raw = json.dumps({"path": PACKAGE, "hash": _sha256(package_raw)}, indent=1).encode("utf-8")
        zf.writestr(_member(PACKAGE, when), package_raw)
        zf.writestr(_member(PACKAGE_DIGEST, when), digest_raw)
    return done


#: Above this estimate the WARC member is written with ZIP64 sizes (zipfile's own margin on 2 GiB).
ZIP64_SAFE = zipfile.ZIP64_LIMIT // 2


def _member(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_STORED if name == WARC_PATH else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _resource(name: str, digest: str, size: int) -> dict[str, Any]:
    return {"name": Path(name).name, "path": name, "hash": digest, "bytes": size}


def _cdxj(r: IndexedResponse) -> str:
    """One line of the CDXJ index: ``SURT TIMESTAMP {json}``."""
    entry = {
        "url": r.uri,
        "mime": r.mime,
        "status": r.status,
        "digest": r.digest,
        "length": str(r.length),
        "offset": str(r.offset),
        "filename": Path(WARC_PATH).name,
    }
    return f"{surt(r.uri)} {r.timestamp} {json.dumps(entry, separators=(',', ':'))}"


def _page(r: IndexedResponse) -> dict[str, Any]:
    """A page of ``pages.jsonl``; its title is its policy's label, else its URL."""
    return {
        "id": r.record_id.removeprefix("<urn:uuid:").removesuffix(">").replace("-", ""),
        "url": r.uri,
        "ts": iso_date(r.timestamp),
        "title": r.title,
    }


def check_wacz(path: Path) -> list[str]:
    """Problems found inside a WACZ: every file ``datapackage.json`` lists must be there with its
    sha256 and size, no other file may have been added (replay tools load every index and WARC they
    find), and ``datapackage-digest.json`` must hold the package's own hash. Empty when whole."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if PACKAGE not in names:
                return [f"{path.name}: no {PACKAGE} (not a WACZ package)"]
            package_raw = zf.read(PACKAGE)
            package = json.loads(package_raw)
            resources = package.get("resources") if isinstance(package, dict) else None
            if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
                return [f"{path.name}: {PACKAGE} lists no resources (not a WACZ package)"]
            for res in resources:
                name = str(res.get("path"))
                if name not in names:
                    problems.append(f"{path.name}: {name} is listed but missing")
                    continue
                size, digest = _hash_member(zf, name)
                if digest != res.get("hash") or size != res.get("bytes"):
                    problems.append(f"{path.name}: {name} changed (its hash or size differs from {PACKAGE})")
            listed = {str(r.get("path")) for r in resources} | {PACKAGE, PACKAGE_DIGEST}
            for name in sorted(names - listed):
                if not name.endswith("/"):  # folder entries hold nothing
                    problems.append(f"{path.name}: {name} is not listed in {PACKAGE} (added later)")
            if PACKAGE_DIGEST in names:
                digest_doc = json.loads(zf.read(PACKAGE_DIGEST))
                if not isinstance(digest_doc, dict) or digest_doc.get("hash") != _sha256(package_raw):
                    problems.append(
                        f"{path.name}: {PACKAGE} changed (its hash differs from {PACKAGE_DIGEST})"
                    )
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, ValueError) as exc:
        # a broken or unsupported ZIP (bad deflate data, another compression, encryption) or JSON
        problems.append(f"{path.name}: not a readable WACZ package ({exc})")
    return problems


def _hash_member(zf: zipfile.ZipFile, name: str) -> tuple[int, str]:
    """Size and sha256 of one member, read in pieces (the WARC may be gigabytes)."""
    h = hashlib.sha256()
    size = 0
    with zf.open(name) as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, "sha256:" + h.hexdigest()


#: A WARC member that inflates more than this many times its stored size is refused (a ZIP bomb):
#: gzipped WARCs hardly compress again, and plain ones compress about 3 to 10 times.
MAX_INFLATION = 100


def import_wacz(archive: Archive, path: Path) -> list[Any]:
    """Import the WARCs of one WACZ package (revisits may refer to another WARC of the package)."""
    from ..pipeline import ImportResult

    results: list[Any] = []
    bodies: dict[str, bytes] = {}
    try:
        for name, copy in _warc_copies(path):
            results.extend(import_file(archive, copy, f"{path}/{name}", f"{path.name}/{name}", bodies))
    except InputFileError as exc:
        results.append(ImportResult(str(path), None, False, error=str(exc)))
    return results


def _warc_copies(path: Path) -> Iterator[tuple[str, Path]]:
    """Each WARC under ``archive/`` as a temporary file of its own, one at a time."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [
                info
                for info in zf.infolist()
                if info.filename.startswith("archive/")
                and info.filename.lower().endswith((".warc", ".warc.gz"))
            ]
            if not members:
                packed = [n for n in zf.namelist() if n.lower().endswith(".wacz")]
                hint = (
                    f"; it holds other WACZ files ({packed[0]}…): unzip it and import those" if packed else ""
                )
                raise InputFileError(
                    str(path), f"no WARC file under archive/ (archive/*.warc or *.warc.gz){hint}"
                )
            for info in members:
                if info.file_size > MAX_INFLATION * max(info.compress_size, 1) and info.file_size > 1 << 26:
                    raise InputFileError(
                        str(path),
                        f"{info.filename} would inflate from {info.compress_size} to {info.file_size} bytes "
                        "(a ZIP bomb?); not imported",
                    )
                with tempfile.TemporaryDirectory(prefix="policydiff-wacz-") as tmp:
                    copy = Path(tmp, Path(info.filename).name)  # the bare name: nothing lands outside tmp
                    with zf.open(info) as src, copy.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    yield info.filename, copy
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as exc:
        raise InputFileError(str(path), f"not a readable WACZ package ({exc})") from None
    except OSError as exc:
        raise InputFileError(str(path), f"cannot read it: {exc.strerror or exc}") from None


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    """A ZIP entry time (local fields, no zone) from an ISO 8601 UTC time; ZIP starts in 1980."""
    year, month, day = (int(x) for x in iso[:10].split("-"))
    hour, minute, second = (int(x) for x in iso[11:19].split(":"))
    return max(year, 1980), month, day, hour, minute, second

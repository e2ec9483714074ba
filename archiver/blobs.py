"""The raw bodies of an archive: files under ``blobs/`` named by their sha256, written through ``tmp/``.

A body is written to ``tmp/``, fsynced, read back and renamed into ``blobs/`` (and the folder
fsynced) before the database row that names it is committed (``Archive.add_capture``,
``archiver.attached``): a committed record always has its bytes, and a crash leaves at worst an
unreferenced blob or a temp file, removed by :func:`clean_tmp` on the next open. Identical bytes are
stored once. Temp files are named ``<pid>-<thread>-…``, so a cleanup leaves a live writer's alone.

This module knows files only; the database side of the store is ``archiver.storage``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from .errors import ArchiveNotWritableError, NotFoundError, StorageError, kind_of
from .files import fsync_dir, hash_file, pid_alive
from .models import Capture

log = logging.getLogger(__name__)

_STALE_TMP_SECONDS = 3600


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(root: Path, sha256: str) -> Path:
    return root / "blobs" / sha256[:2] / sha256


def prepare(root: Path) -> None:
    """Create ``blobs/`` and ``tmp/`` as needed and check a file can be written there: a
    write-protected folder is ArchiveNotWritableError before anything else is tried."""
    try:
        (root / "blobs").mkdir(parents=True, exist_ok=True)
        (root / "tmp").mkdir(exist_ok=True)
        # named like every temp file (pid first), so another opener's cleanup leaves it alone
        probe = root / "tmp" / f"{os.getpid()}-{threading.get_ident()}-probe"
        probe.write_bytes(b"")
        probe.unlink(missing_ok=True)
    except OSError as exc:
        raise ArchiveNotWritableError(str(root), exc.strerror or str(exc), kind_of(exc)) from None


def put_blob(root: Path, sha: str, body: bytes) -> None:
    """Store ``body`` (whose sha256 is ``sha``) durably; an intact file already there is kept, a
    missing or damaged one is written again."""
    final = blob_path(root, sha)
    with contextlib.suppress(OSError):
        if final.stat().st_size == len(body) and hash_file(final) == sha:
            return  # already there, intact
    if not final.parent.is_dir():
        final.parent.mkdir(exist_ok=True)
        fsync_dir(final.parent.parent)  # the new folder itself must survive a power cut
    tmp = root / "tmp" / f"{os.getpid()}-{threading.get_ident()}-{sha[:16]}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        if hash_file(tmp) != sha:  # read back: what the ledger will vouch for is what is on disk
            tmp.unlink()
            raise StorageError(f"the raw file written to {tmp} did not read back as written (a disk fault?)")
        os.replace(tmp, final)
        fsync_dir(final.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ArchiveNotWritableError(str(root), exc.strerror or str(exc), kind_of(exc)) from None


def read_body(root: Path, capture: Capture) -> bytes:
    """The raw body, checked against its sha256 (a damaged file is reported, never returned)."""
    if capture.sha256 is None:
        raise NotFoundError(f"capture {capture.id} was imported as text only; it has no raw bytes")
    path = blob_path(root, capture.sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StorageError(
            f"capture {capture.id} ({capture.original_url} @ {capture.timestamp}): raw file {path} is "
            "missing; run 'policydiff verify'"
        ) from None
    except OSError as exc:
        raise StorageError(
            f"capture {capture.id} ({capture.original_url} @ {capture.timestamp}): raw file {path} "
            f"cannot be read ({exc.strerror or exc}); run 'policydiff verify'"
        ) from None
    if sha256_hex(data) != capture.sha256:
        raise StorageError(
            f"capture {capture.id} ({capture.original_url} @ {capture.timestamp}): raw file {path} does "
            "not match its sha256 (damaged); run 'policydiff verify'"
        )
    return data


def clean_tmp(root: Path) -> None:
    """Remove temp files left by writers that died (their pid is gone, or they are stale)."""
    for item in (root / "tmp").iterdir():
        pid_text = item.name.split("-", 1)[0]
        try:
            age = time.time() - item.stat().st_mtime
        except OSError:
            continue
        alive = pid_text.isdigit() and pid_alive(int(pid_text))
        if not alive or age > _STALE_TMP_SECONDS:
            with contextlib.suppress(OSError):
                item.unlink()
                log.info("removed stray temp file %s", item)

"""Append-only JSON-lines journals kept beside the database: ``ledger.jsonl`` (archiver/recovery.py)
and ``curation.jsonl`` (archiver/curation.py).

Each line carries a ``seq`` taken from a table that is written in the same SQLite transaction as
the change it records, so the table says exactly which lines the journal still lacks: after a
commit, or on the next open for writing when a crash came in between, :func:`append_missing`
writes the lines with a higher seq than the journal's last. Lines are written under an exclusive
lock (two processes never interleave), flushed and fsynced before it returns; a line cut short by
a crash is dropped and written again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .files import fsync_dir


@contextlib.contextmanager
def locked(path: Path) -> Iterator[Any]:
    """The journal opened for appending, locked against other processes (POSIX)."""
    with open(path, "a+b") as fh:
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except ImportError:  # Windows: SQLite's write lock still orders the writers
            pass
        yield fh


def last_seq(fh: Any) -> int:
    """The seq of the journal's last complete line (0 when empty); a torn last line is cut off."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    if size == 0:
        return 0
    chunk, pos, tail = 65536, size, b""
    while pos > 0:
        pos = max(0, pos - chunk)
        fh.seek(pos)
        tail = fh.read(size - pos)
        body = tail[:-1] if tail.endswith(b"\n") else tail
        if b"\n" in body or pos == 0:
            break
    if not tail.endswith(b"\n"):  # a line cut short by a crash: drop it, it is written again
        cut = tail.rfind(b"\n")
        fh.truncate(pos + cut + 1 if cut >= 0 else pos)
        return last_seq(fh)
    last = tail[:-1].rsplit(b"\n", 1)[-1]
    try:
        return int(json.loads(last)["seq"])
    except (ValueError, KeyError, TypeError):
        return 0


def append_missing(path: Path, missing: Callable[[int], list[dict[str, Any]]]) -> int:
    """Append ``missing(last seq in the journal)``, in order, durably; returns how many lines."""
    new = not path.exists()
    with locked(path) as fh:
        lines = missing(last_seq(fh))
        if lines:
            fh.seek(0, os.SEEK_END)
            for line in lines:
                fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
    if new:  # the new file's name is durable too
        fsync_dir(path.parent)
    return len(lines)


def has_lines(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0

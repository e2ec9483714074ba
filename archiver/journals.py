"""Append-only JSON-lines journals kept beside the database: ``ledger.jsonl`` (archiver/recovery.py)
and ``curation.jsonl`` (archiver/curation.py).

Each line carries a ``seq`` taken from a table that is written in the same SQLite transaction as
the change it records, so the table says exactly which lines the journal still lacks: after a
commit, or on the next open for writing when a crash came in between, :func:`append_missing`
writes the lines with a higher seq than the journal's last. Lines are written under an exclusive
lock (two processes never interleave), flushed and fsynced before it returns; a line cut short by
a crash is dropped and written again.

That bookkeeping holds only while the table is at least as far as its journal. A database put back
from an older copy is not: its next seq is one the journal already has, ``append_missing`` would
skip that line and the two would part for good. :func:`ahead_of` finds it before anything is
written (Archive.open refuses such a database; ``verify`` reports it).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


def read_lines(
    path: Path, check: Callable[[dict[str, Any]], object]
) -> tuple[list[dict[str, Any]], list[int]]:
    """The journal's lines that ``check`` accepts (it raises ValueError, KeyError or TypeError on a
    line it cannot use), and the numbers of the lines that could not be read; none when absent."""
    lines: list[dict[str, Any]] = []
    bad: list[int] = []
    if not path.exists():
        return lines, bad
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                line = json.loads(raw)
                check(line)
                lines.append(line)
            except (ValueError, KeyError, TypeError):
                bad.append(number)
    return lines, bad


def has_lines(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def last_line(path: Path) -> dict[str, Any] | None:
    """The journal's last complete line, read without changing the file (a torn last line is
    passed over); None when there is none, or it cannot be read."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = pos = fh.tell()
            complete = b""
            while pos > 0:
                pos = max(0, pos - 65536)
                fh.seek(pos)
                tail = fh.read(size - pos)
                complete = tail[: tail.rfind(b"\n") + 1]  # b"" while no line ends in the tail
                if b"\n" in complete[:-1] or pos == 0:
                    break
    except FileNotFoundError:
        return None
    if not complete:
        return None
    try:
        line = json.loads(complete[:-1].rsplit(b"\n", 1)[-1])
        int(line["seq"])
    except (ValueError, KeyError, TypeError):
        return None
    return line if isinstance(line, dict) else None


@dataclass(frozen=True)
class Ahead:
    """A journal that holds what its table does not: lines beyond the table's last seq, or a line
    that differs from the table's row of the same seq (the database is an older or another copy)."""

    journal: str  # the file's name
    beyond: int  # lines with a seq above the table's last
    differs_at: int = 0  # a seq at which the journal's line is not the table's row (0: none found)

    def __str__(self) -> str:
        differs = f"entry {self.differs_at} differs from it" if self.differs_at else ""
        if not self.beyond:
            return f"{self.journal}'s {differs}"
        held = f"{self.journal} holds {self.beyond} entr{'y' if self.beyond == 1 else 'ies'} beyond it"
        return f"{held}, and its {differs}" if differs else held


def ahead_of(
    path: Path,
    table_last: int,
    stored: Callable[[int], object | None],
    key: Callable[[dict[str, Any]], object],
) -> Ahead | None:
    """Whether the journal at ``path`` holds more than (or other than) its table, whose last seq is
    ``table_last``; ``stored(seq)`` is the table's row at a seq, ``key(line)`` the same of a line.

    The journal's last line being the table's row is the usual answer, read from the end of the file
    alone: the journal is then in step, or behind (a crash after a commit, caught up on open). Only
    otherwise is the whole journal read, to say by how much it is ahead."""
    last = last_line(path)
    if last is None:
        return None
    seq = int(last["seq"])
    row = stored(seq)
    if row is not None and row == key(last):
        return None
    beyond, at_last = 0, None
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break  # a torn last line: not written yet
            try:
                line = json.loads(raw)
                number = int(line["seq"])
            except (ValueError, KeyError, TypeError):
                continue  # recover lists the lines it cannot read
            if number > table_last:
                beyond += 1
            elif number == table_last:
                at_last = line
    if row is not None or beyond == 0:  # the same seq, another entry (or one the table lacks)
        return Ahead(path.name, beyond, seq)
    if at_last is not None and stored(table_last) != key(at_last):
        return Ahead(path.name, beyond, table_last)
    return Ahead(path.name, beyond)

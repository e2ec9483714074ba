"""The archive's ledger: an append-only, hash-chained record of every capture stored.

Each stored capture appends one entry in the same transaction as its database row, after its raw
bytes were written, fsynced and read back to check their sha256 (docs/fault-cases.md cases 36, 37).
An entry is canonical JSON of the capture's whole row and the time it was recorded, and its hash is
``sha256(previous hash + "\\n" + entry)``. Only the hashed entry counts (the ``capture_id`` and
``recorded_at`` columns are an index): changing, removing or inserting an entry, recording a capture
twice, or changing a capture's record afterwards breaks the chain or the match, and
``Archive.verify`` names where. The head hash (``head``) identifies the whole history: write it
down, or time-stamp it, to prove later that nothing was changed since. Extracted texts are derived
data (re-extraction replaces them) and are not part of it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from .models import VerifyProblem

GENESIS = "0" * 64  # the "previous hash" of the first entry


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record(row: sqlite3.Row) -> dict[str, object]:
    """A capture row as the ledger keeps it."""
    return {k: row[k] for k in row.keys()}


def chain_hash(previous: str, entry: str) -> str:
    return hashlib.sha256(f"{previous}\n{entry}".encode()).hexdigest()


def append(conn: sqlite3.Connection, capture_id: int, recorded_at: str) -> None:
    """Add the entry of a capture just inserted (inside the caller's write transaction)."""
    row = conn.execute("SELECT * FROM captures WHERE id = ?", (capture_id,)).fetchone()
    last = conn.execute("SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
    previous = last[0] if last else GENESIS
    entry = _canonical({"capture": record(row), "recorded_at": recorded_at})
    conn.execute(
        "INSERT INTO ledger(recorded_at, capture_id, entry, prev, hash) VALUES (?, ?, ?, ?, ?)",
        (recorded_at, capture_id, entry, previous, chain_hash(previous, entry)),
    )


def backfill(conn: sqlite3.Connection, recorded_at: str) -> None:
    """Start the ledger of an archive made before it existed: one entry per capture, in id order,
    recorded at the time of the upgrade (what it says is that they were there then)."""
    for (capture_id,) in conn.execute("SELECT id FROM captures ORDER BY id").fetchall():
        append(conn, capture_id, recorded_at)


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """Number of entries and the hash of the last one (GENESIS for an empty ledger)."""
    row = conn.execute(
        "SELECT COUNT(*), (SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1) FROM ledger"
    ).fetchone()
    return int(row[0]), row[1] or GENESIS


def entry_hash(conn: sqlite3.Connection, seq: int) -> str | None:
    """The stored hash of entry ``seq`` (1-based), None if there is no such entry."""
    row = conn.execute("SELECT hash FROM ledger WHERE seq = ?", (seq,)).fetchone()
    return str(row[0]) if row else None


def check(conn: sqlite3.Connection) -> list[VerifyProblem]:
    """Walk the chain and match it with the captures: one problem per entry or capture that fails.

    The caller reads both in one snapshot (a capture another process stores in between would look
    slipped in)."""
    problems: list[VerifyProblem] = []
    previous = GENESIS
    recorded: dict[int, dict[str, object]] = {}  # capture id -> the record of its first entry
    for seq, capture_id, entry, prev, stored_hash in conn.execute(
        "SELECT seq, capture_id, entry, prev, hash FROM ledger ORDER BY seq"
    ):
        if prev != previous:
            problems.append(
                VerifyProblem(
                    0,
                    f"ledger entry {seq} does not follow the one before it (an entry was removed or inserted)",
                )
            )
        if chain_hash(prev, entry) != stored_hash:
            problems.append(
                VerifyProblem(0, f"ledger entry {seq} does not match its hash (the entry was changed)")
            )
        previous = stored_hash
        try:
            capture = json.loads(entry)["capture"]
            entry_id = int(capture["id"])
        except (ValueError, KeyError, TypeError):
            problems.append(VerifyProblem(0, f"ledger entry {seq} is not a capture record"))
            continue
        if entry_id != capture_id:
            problems.append(
                VerifyProblem(entry_id, f"ledger entry {seq} is filed under capture {capture_id}")
            )
        if entry_id in recorded:
            problems.append(
                VerifyProblem(entry_id, f"ledger entry {seq} records capture {entry_id} a second time")
            )
            continue
        recorded[entry_id] = capture
    for row in conn.execute("SELECT * FROM captures ORDER BY id"):
        where = f"{row['original_url']} @ {row['timestamp']}"
        kept = recorded.pop(row["id"], None)
        if kept is None:
            problems.append(
                VerifyProblem(
                    row["id"],
                    f"{where}: not in the ledger (added outside policydiff, or by an older version)",
                )
            )
            continue
        current = record(row)
        if _canonical(kept) != _canonical(current):
            changed = sorted(k for k in {*kept, *current} if kept.get(k) != current.get(k))
            problems.append(
                VerifyProblem(
                    row["id"], f"{where}: its record differs from the ledger in {', '.join(changed)}"
                )
            )
    for capture_id, gone in sorted(recorded.items()):
        problems.append(
            VerifyProblem(
                capture_id,
                f"{gone.get('original_url')} @ {gone.get('timestamp')}: in the ledger but gone from the archive",
            )
        )
    return problems

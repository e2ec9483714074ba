"""The archive's ledger: an append-only, hash-chained record of every capture stored.

Each stored capture appends one entry in the same transaction as its database row, after its raw
bytes were written, fsynced and read back to check their sha256 (PROTOCOLS.md §8.3 cases 36, 37).
An entry holds the capture's whole row as canonical JSON, and its hash is
``sha256(previous hash + "\\n" + entry)``, so changing, removing or inserting an entry, or changing a
capture's record afterwards, breaks the chain or the match, and ``Archive.verify`` names where. The
head hash (``head``) identifies the whole history: write it down, or time-stamp it, to prove later
that nothing was changed since. Extracted texts are derived data (re-extraction replaces them) and
are not part of it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from .models import VerifyProblem

GENESIS = "0" * 64  # the "previous hash" of the first entry


def record_json(row: sqlite3.Row) -> str:
    """A capture row as canonical JSON (sorted keys, no spaces): what the ledger keeps of it."""
    return json.dumps(
        {k: row[k] for k in row.keys()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def chain_hash(previous: str, entry: str) -> str:
    return hashlib.sha256(f"{previous}\n{entry}".encode()).hexdigest()


def append(conn: sqlite3.Connection, capture_id: int, recorded_at: str) -> None:
    """Add the entry of a capture just inserted (inside the caller's write transaction)."""
    row = conn.execute("SELECT * FROM captures WHERE id = ?", (capture_id,)).fetchone()
    last = conn.execute("SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
    previous = last[0] if last else GENESIS
    entry = record_json(row)
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


def check(conn: sqlite3.Connection) -> list[VerifyProblem]:
    """Walk the chain and match it with the captures: one problem per entry or capture that fails."""
    problems: list[VerifyProblem] = []
    previous = GENESIS
    recorded: dict[int, str] = {}
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
        recorded[capture_id] = entry
    for row in conn.execute("SELECT * FROM captures ORDER BY id"):
        where = f"{row['original_url']} @ {row['timestamp']}"
        entry = recorded.pop(row["id"], None)
        if entry is None:
            problems.append(
                VerifyProblem(row["id"], f"{where}: not in the ledger (added outside policydiff)")
            )
            continue
        if entry != record_json(row):
            before = json.loads(entry)
            changed = sorted(k for k in row.keys() if before.get(k) != row[k])
            problems.append(
                VerifyProblem(
                    row["id"], f"{where}: its record differs from the ledger in {', '.join(changed)}"
                )
            )
    for capture_id, entry in sorted(recorded.items()):
        gone = json.loads(entry)
        problems.append(
            VerifyProblem(
                capture_id,
                f"{gone.get('original_url')} @ {gone.get('timestamp')}: in the ledger but gone from the archive",
            )
        )
    return problems

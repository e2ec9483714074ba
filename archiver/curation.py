"""The user's work kept a second time, outside SQLite: ``curation.jsonl`` beside the database.

What ``policydiff recover`` cannot derive from the raw files and the ledger journal is what people
added: a policy's name and extraction rules, its tags and note, the review log, "removed from the
list", notes on paragraphs, and raw bytes attached to a text-only capture. (The search index,
``text_words``, fingerprints, ``policy_updates`` and ``jobs`` are derived or transient: recover
builds them again, or they only say what an interrupted run had done.)

Each change is one JSON line: its ``seq``, the time, its ``kind``, the policy (key and URL, never
only the numeric id, which a rebuild may renumber) and what replaying it needs. The line is first
written to the table ``curation_log`` *in the same transaction as the change*, then appended to the
journal after the commit; opening the archive for writing appends what a crash left behind. This is
how ``ledger.jsonl`` is kept (archiver/journals.py), for the same reason: the table says exactly
which lines the journal lacks, so a crash between commit and append loses nothing and writes
nothing twice.

Why a journal and not a snapshot file rewritten after each change: a snapshot's cost grows with
the whole portfolio on every edit (thousands of reviews and notes), and a rewrite replaces the one
copy there is, whereas an appended line leaves what was written before alone. The journal is also
a history (who reviewed what, when a rule changed), which a snapshot would forget.

An archive from before the journal is brought in by the schema migration that adds
``curation_log``: it writes one line for each piece of work the database holds (:func:`backfill`),
and the next open writes them to the journal.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .journals import append_missing, read_lines
from .timestamps import now_iso
from .urls import policy_key

JOURNAL_NAME = "curation.jsonl"

#: the kinds of change, in the words the recover summary uses for what they leave behind
KINDS = (
    "tracked",
    "label",
    "rules",
    "tags",
    "note",
    "removed",
    "restored",
    "review",
    "paragraph_note",
    "attached",
)


def journal_path(root: Path) -> Path:
    return root / JOURNAL_NAME


def record(conn: sqlite3.Connection, kind: str, policy_id: int, at: str = "", **data: Any) -> None:
    """Log one change to ``policy_id`` inside the caller's transaction (Archive.curating appends
    it to the journal after the commit)."""
    assert kind in KINDS, kind
    row = conn.execute("SELECT key, url, created_at FROM policies WHERE id = ?", (policy_id,)).fetchone()
    policy = {"key": row[0], "url": row[1], "created_at": row[2]}
    entry = {"at": at or now_iso(), "kind": kind, "policy": policy, "data": data}
    conn.execute(
        "INSERT INTO curation_log(entry) VALUES (?)",
        (json.dumps(entry, ensure_ascii=False, separators=(",", ":")),),
    )


def sync_journal(conn: sqlite3.Connection, root: Path) -> int:
    """Append the logged changes the journal lacks; returns how many were written."""

    def missing(last: int) -> list[dict[str, Any]]:
        rows = conn.execute("SELECT seq, entry FROM curation_log WHERE seq > ? ORDER BY seq", (last,))
        return [{"seq": seq, **json.loads(entry)} for seq, entry in rows]

    return append_missing(journal_path(root), missing)


def read_journal(root: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The journal's lines, and the numbers of those that could not be read."""
    return read_lines(
        journal_path(root),
        lambda line: (int(line["seq"]), str(line["kind"]), str(line["policy"]["url"]), dict(line["data"])),
    )


# --- an archive from before the journal --------------------------------------------------------------


def backfill(conn: sqlite3.Connection, at: str) -> None:
    """Log the work an archive already holds, as if each piece had just been made (migration 7)."""

    def each(sql: str) -> Iterable[sqlite3.Row]:
        cur = conn.cursor()
        cur.row_factory = sqlite3.Row  # by column name, whatever the connection's own factory
        return cur.execute(sql).fetchall()

    policies = each(
        "SELECT p.*, EXISTS(SELECT 1 FROM captures c WHERE c.policy_id = p.id) AS held FROM policies p"
    )
    for p in policies:
        if not p["held"]:  # tracked, never fetched: the ledger journal does not know it
            record(conn, "tracked", p["id"], at, label=p["label"])
        elif p["label"]:
            record(conn, "label", p["id"], at, label=p["label"])
        if json.loads(p["rules"]):
            record(conn, "rules", p["id"], at, rules=json.loads(p["rules"]))
    tags: dict[int, list[str]] = {}
    for r in each("SELECT policy_id, tag FROM policy_tags ORDER BY tag"):
        tags.setdefault(r["policy_id"], []).append(r["tag"])
    for policy_id, names in tags.items():
        record(conn, "tags", policy_id, at, tags=names)
    for r in each("SELECT * FROM policy_notes"):
        record(conn, "note", r["policy_id"], at, note=r["note"])
    for r in each("SELECT * FROM retired_policies"):
        record(conn, "removed", r["policy_id"], at, retired_at=r["retired_at"])
    for r in each("SELECT * FROM reviews ORDER BY id"):
        record(conn, "review", r["policy_id"], at, **review_data(r))
    for r in each("SELECT * FROM paragraph_notes ORDER BY id"):
        record(conn, "paragraph_note", r["policy_id"], at, **paragraph_note_data(r))
    for r in each("SELECT a.*, c.policy_id FROM attached_bodies a JOIN captures c ON c.id = a.capture_id"):
        record(conn, "attached", r["policy_id"], at, **attached_data(conn, r))


def review_data(r: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "version_timestamp", "text_sha256", "baseline_timestamp", "reviewer", "reviewed_at", "note")
    return {k: r[k] for k in keys}


def paragraph_note_data(r: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "version_timestamp", "text_sha256", "block", "paragraph", "author", "created_at", "note")
    return {k: r[k] for k in keys}


def attached_data(conn: sqlite3.Connection, r: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    """An attached body's row, and its capture's identity (so a replay checks it is the same one)."""
    keys = ("capture_id", "sha256", "memento_url", "retrieved_at", "http_status", "headers", "content_type")
    data = {k: r[k] for k in (*keys, "size", "text_sha256", "agrees")}
    row = conn.execute(
        "SELECT timestamp, original_url FROM captures WHERE id = ?", (r["capture_id"],)
    ).fetchone()
    data["capture"] = {"timestamp": row[0], "original_url": row[1]}
    return data


# --- replay (policydiff recover) -------------------------------------------------------------------


@dataclass
class Replayed:
    lines: int = 0
    lost: list[str] = field(default_factory=list)  # work that could not be put back, and why


def replay(conn: sqlite3.Connection, lines: list[dict[str, Any]], blobs: set[str]) -> Replayed:
    """Apply the journal's changes, in order, to a database whose captures were just restored.
    Each line is also put back in ``curation_log`` with its seq, so the journal stays in step."""
    done = Replayed()
    for line in sorted(lines, key=lambda x: int(x["seq"])):
        entry = {k: v for k, v in line.items() if k != "seq"}
        conn.execute(
            "INSERT OR IGNORE INTO curation_log(seq, entry) VALUES (?, ?)",
            (int(line["seq"]), json.dumps(entry, ensure_ascii=False, separators=(",", ":"))),
        )
        problem = _apply(conn, line["kind"], _policy_id(conn, line), line["data"], blobs)
        if problem:
            done.lost.append(problem)
        done.lines += 1
    return done


def _policy_id(conn: sqlite3.Connection, line: dict[str, Any]) -> int:
    """The policy a line names, by its key; created when the ledger journal did not know it (a
    policy tracked but never fetched)."""
    policy = line["policy"]
    key = policy.get("key") or policy_key(policy["url"])
    row = conn.execute("SELECT id FROM policies WHERE key = ?", (key,)).fetchone()
    if row is not None:
        return int(row[0])
    cur = conn.execute(
        "INSERT INTO policies(key, url, label, created_at) VALUES (?, ?, '', ?)",
        (key, policy["url"], policy.get("created_at") or line["at"]),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def _apply(conn: sqlite3.Connection, kind: str, pid: int, d: dict[str, Any], blobs: set[str]) -> str:
    """Apply one change; returns why it could not be ("" when it was)."""
    if kind in ("tracked", "label"):
        conn.execute("UPDATE policies SET label = ? WHERE id = ?", (d["label"], pid))
    elif kind == "rules":
        conn.execute("UPDATE policies SET rules = ? WHERE id = ?", (json.dumps(d["rules"]), pid))
    elif kind == "tags":
        conn.execute("DELETE FROM policy_tags WHERE policy_id = ?", (pid,))
        conn.executemany(
            "INSERT INTO policy_tags(policy_id, tag) VALUES (?, ?)", [(pid, t) for t in d["tags"]]
        )
    elif kind == "note":
        conn.execute("INSERT OR REPLACE INTO policy_notes(policy_id, note) VALUES (?, ?)", (pid, d["note"]))
    elif kind == "removed":
        conn.execute(
            "INSERT OR REPLACE INTO retired_policies(policy_id, retired_at) VALUES (?, ?)",
            (pid, d["retired_at"]),
        )
    elif kind == "restored":
        conn.execute("DELETE FROM retired_policies WHERE policy_id = ?", (pid,))
    elif kind == "review":
        conn.execute(
            "INSERT OR REPLACE INTO reviews(id, policy_id, version_timestamp, text_sha256, baseline_timestamp,"
            " reviewer, reviewed_at, note) VALUES (:id, :pid, :version_timestamp, :text_sha256,"
            " :baseline_timestamp, :reviewer, :reviewed_at, :note)",
            {**d, "pid": pid},
        )
    elif kind == "paragraph_note":
        conn.execute(
            "INSERT OR REPLACE INTO paragraph_notes(id, policy_id, version_timestamp, text_sha256, block,"
            " paragraph, author, created_at, note) VALUES (:id, :pid, :version_timestamp, :text_sha256,"
            " :block, :paragraph, :author, :created_at, :note)",
            {**d, "pid": pid},
        )
    elif kind == "attached":
        return _attach(conn, pid, d, blobs)
    else:  # written by a later version of policydiff
        return f"a change of kind {kind!r} this version does not know (left out)"
    return ""


def _attach(conn: sqlite3.Connection, pid: int, d: dict[str, Any], blobs: set[str]) -> str:
    where = f"{d['capture']['original_url']} @ {d['capture']['timestamp']}"
    row = conn.execute(
        "SELECT timestamp, original_url FROM captures WHERE id = ? AND policy_id = ?", (d["capture_id"], pid)
    ).fetchone()
    if row is None or (row[0], row[1]) != (d["capture"]["timestamp"], d["capture"]["original_url"]):
        return f"attached raw file of {where}: the capture was not restored"
    if d["sha256"] not in blobs:
        return f"attached raw file of {where}: blobs/{d['sha256'][:2]}/{d['sha256']} is gone"
    conn.execute(
        "INSERT OR REPLACE INTO attached_bodies(capture_id, sha256, memento_url, retrieved_at, http_status,"
        " headers, content_type, size, text_sha256, agrees) VALUES (:capture_id, :sha256, :memento_url,"
        " :retrieved_at, :http_status, :headers, :content_type, :size, :text_sha256, :agrees)",
        d,
    )
    return ""


def summary(conn: sqlite3.Connection) -> dict[str, int]:
    """What the user's work amounts to after a replay: policies named, with rules, tagged, with a
    note, removed; reviews, paragraph notes and attached bodies."""
    counts = {
        "names": "SELECT COUNT(*) FROM policies WHERE label != ''",
        "rules": "SELECT COUNT(*) FROM policies WHERE rules != '[]'",
        "tags": "SELECT COUNT(DISTINCT policy_id) FROM policy_tags",
        "notes": "SELECT COUNT(*) FROM policy_notes WHERE note != ''",
        "reviews": "SELECT COUNT(*) FROM reviews",
        "removed": "SELECT COUNT(*) FROM retired_policies",
        "paragraph_notes": "SELECT COUNT(*) FROM paragraph_notes",
        "attached": "SELECT COUNT(*) FROM attached_bodies",
    }
    return {k: int(conn.execute(q).fetchone()[0]) for k, q in counts.items()}

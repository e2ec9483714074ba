"""The archive's hash-chained ledger (docs/fault-cases.md cases 36, 37): every stored capture is
recorded once, and `verify` names each entry or capture that was changed, removed or slipped in."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.errors import JournalAheadError
from archiver.ledger import GENESIS, chain_hash
from archiver.models import Capture, Extraction, Source
from archiver.schema import MIGRATIONS
from archiver.storage import Archive, text_sha256

URL = "https://example.com/privacy"


def _capture(ts: str) -> Capture:
    return Capture(
        id=0,
        policy_id=0,
        source=Source.WAYBACK,
        timestamp=ts,
        original_url=URL,
        archive="https://web.archive.org/web/",
        memento_url=f"https://web.archive.org/web/{ts}id_/{URL}",
        http_status=200,
        content_type="text/html",
    )


def _fill(root: Path, n: int = 3) -> list[int]:
    ids = []
    with Archive.open(root) as arc:
        policy = arc.ensure_policy(URL)
        for i in range(n):
            text = f"version {i}"
            ex = Extraction(text=text, text_sha256=text_sha256(text), extractor_version="t", words=2)
            stored, created = arc.add_capture(
                policy, _capture(f"2020010{i + 1}000000"), f"<p>{i}</p>".encode(), ex
            )
            assert created
            ids.append(stored.id)
        again, created = arc.add_capture(policy, _capture("20200101000000"), b"<p>0</p>", None)
        assert not created  # stored once, recorded once
    return ids


def _db(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / "archive.sqlite3", isolation_level=None)


def test_each_capture_is_chained_once_and_the_head_names_the_history(tmp_path: Path) -> None:
    ids = _fill(tmp_path)
    with _db(tmp_path) as db:
        rows = db.execute("SELECT capture_id, entry, prev, hash FROM ledger ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == ids
    previous = GENESIS
    for capture_id, entry, prev, digest in rows:
        assert prev == previous and digest == chain_hash(prev, entry)
        recorded = json.loads(entry)
        assert (
            recorded["capture"]["id"] == capture_id
            and recorded["capture"]["sha256"]
            and recorded["recorded_at"]
        )
        previous = digest
    with Archive.open(tmp_path) as arc:
        assert arc.verify() == []
        assert arc.ledger_head() == (3, previous)


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            "UPDATE captures SET timestamp = '20200101120000' WHERE id = 2",
            "capture 2: https://example.com/privacy @ 20200101120000: its record differs from the ledger in timestamp",
        ),
        (
            "UPDATE captures SET sha256 = 'x', content_id = 'x' WHERE id = 1",
            "its record differs from the ledger in content_id, sha256",
        ),
        (
            "DELETE FROM captures WHERE id = 3",
            "capture 3: https://example.com/privacy @ 20200103000000: in the ledger but gone from the archive",
        ),
        ("DELETE FROM ledger WHERE capture_id = 2", "ledger entry 3 does not follow the one before it"),
        (
            "UPDATE ledger SET entry = replace(entry, '200', '404') WHERE seq = 1",
            "ledger entry 1 does not match its hash",
        ),
        (
            "INSERT INTO captures(policy_id, source, archive, timestamp, original_url, retrieved_at, content_id)"
            " VALUES (1, 'wayback', 'a', '20210101000000', 'https://example.com/privacy', 'now', 'slipped-in')",
            "capture 4: https://example.com/privacy @ 20210101000000: not in the ledger (added outside policydiff",
        ),
        # a capture removed and its entry filed under another: the hashed entry still names it
        (
            "DELETE FROM captures WHERE id = 1; UPDATE ledger SET capture_id = 2 WHERE seq = 1",
            "ledger entry 1 is filed under capture 2",
        ),
        ("UPDATE ledger SET entry = 'not json' WHERE seq = 2", "ledger entry 2 is not a capture record"),
    ],
)
def test_verify_names_what_was_changed_removed_or_slipped_in(
    tmp_path: Path, tamper: str, expected: str
) -> None:
    _fill(tmp_path)
    with _db(tmp_path) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        db.executescript(tamper)
    with Archive.open(tmp_path) as arc:
        problems = [str(p) for p in arc.verify()]
    assert any(expected in p for p in problems), problems
    assert main(["--archive", str(tmp_path), "verify"]) == 1


def test_an_archive_made_before_the_ledger_gets_one_on_upgrade(tmp_path: Path) -> None:
    """Schema 1 (no ledger): opening it backfills one entry per capture, in id order, and a later
    capture is chained after them."""
    ids = _fill(tmp_path)
    with _db(tmp_path) as db:  # make it what an older policydiff wrote
        db.execute("DROP TABLE ledger")
        db.execute("PRAGMA user_version = 1")
    (tmp_path / "ledger.jsonl").unlink()  # nor did it keep a ledger journal
    assert "CREATE TABLE ledger" in MIGRATIONS[1]
    with Archive.open(tmp_path) as arc:
        assert arc.ledger_head()[0] == len(ids) and arc.verify() == []
        policy = arc.get_policy(URL)
        arc.add_capture(policy, _capture("20200201000000"), b"<p>new</p>", None)
        assert arc.ledger_head()[0] == len(ids) + 1 and arc.verify() == []


def test_verify_prints_the_ledger_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fill(tmp_path)
    with Archive.open(tmp_path) as arc:
        entries, head = arc.ledger_head()
    assert main(["--archive", str(tmp_path), "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ledger"] == {"entries": entries, "head": head}
    assert main(["--archive", str(tmp_path), "verify"]) == 0
    assert f"ledger of 3 entries, head sha256 {head}" in capsys.readouterr().err


def test_a_changed_capture_recorded_again_at_the_end_of_the_chain_is_caught(tmp_path: Path) -> None:
    """Changing a capture and appending a well-chained second entry for it (so the chain verifies)
    still shows: a capture is recorded once, and it is compared with its first entry."""
    from archiver.ledger import append

    _fill(tmp_path)
    with _db(tmp_path) as db:
        db.row_factory = sqlite3.Row
        db.execute("UPDATE captures SET http_status = 404 WHERE id = 2")
        append(db, 2, "2026-01-01T00:00:00Z")
    with Archive.open(tmp_path) as arc:
        problems = [str(p) for p in arc.verify()]
    assert any("ledger entry 4 records capture 2 a second time" in p for p in problems), problems
    assert any("its record differs from the ledger in http_status" in p for p in problems), problems


def test_a_noted_head_proves_the_history_up_to_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fill(tmp_path)
    with Archive.open(tmp_path) as arc:
        entries, head = arc.ledger_head()
        arc.add_capture(arc.get_policy(URL), _capture("20200201000000"), b"<p>later</p>", None)
    archive = ["--archive", str(tmp_path)]
    assert main([*archive, "verify", "--head", f"{entries}:{head}"]) == 0  # later captures: still OK
    # rewrite the history and re-chain every entry after it: the chain verifies, the noted head does not
    from archiver.ledger import chain_hash

    with _db(tmp_path) as db:
        rows = db.execute("SELECT seq, entry FROM ledger ORDER BY seq").fetchall()
        previous = "0" * 64
        for seq, entry in rows:
            if seq == 2:
                entry = entry.replace('"http_status":200', '"http_status":404')
                db.execute("UPDATE captures SET http_status = 404 WHERE id = 2")
            digest = chain_hash(previous, entry)
            db.execute(
                "UPDATE ledger SET entry = ?, prev = ?, hash = ? WHERE seq = ?",
                (entry, previous, digest, seq),
            )
            previous = digest
    capsys.readouterr()
    with pytest.raises(JournalAheadError, match="ledger.jsonl's entry 4 differs from it"):
        Archive.open(tmp_path)  # the journal beside it still holds the first history
    (tmp_path / "ledger.jsonl").unlink()  # gone too: the noted head still tells
    with Archive.open(tmp_path) as arc:
        assert arc.verify() == []  # consistent on its own
    assert main([*archive, "verify", "--head", f"{entries}:{head}"]) == 1
    out = capsys.readouterr().out
    assert f"ledger entry {entries} is" in out and "the history was rewritten" in out
    assert main([*archive, "verify", "--head", "x:y"]) == 2

"""The local archive: byte-exact content-addressed storage, dedupe, versions, verify, bad archives."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from archiver.errors import (
    ArchiveNotWritableError,
    CancelledError,
    CorruptArchiveError,
    ErrorKind,
    NotFoundError,
    SchemaTooNewError,
    StorageError,
)
from archiver.models import Capture, Extraction, Flag, Source
from archiver.storage import SCHEMA_VERSION, Archive, text_sha256

DATA = Path(__file__).parents[1] / "data"


def _capture(ts: str, url: str = "https://example.com/privacy") -> Capture:
    return Capture(
        id=0, policy_id=0, source=Source.FILE, timestamp=ts, original_url=url, content_type="text/html"
    )


def _extraction(text: str) -> Extraction:
    return Extraction(
        text=text, text_sha256=text_sha256(text), extractor_version="t1", words=len(text.split())
    )


def test_bytes_are_stored_byte_exact_and_once(tmp_path: Path) -> None:
    body = (DATA / "corpus/github-privacy/20230425183000.html").read_bytes()
    with Archive.open(tmp_path / "a") as arc:
        policy = arc.ensure_policy("https://example.com/privacy")
        first, created = arc.add_capture(policy, _capture("20230425183000"), body, _extraction("one"))
        again, created_again = arc.add_capture(policy, _capture("20230425183000"), body, _extraction("one"))
        other_time, _ = arc.add_capture(policy, _capture("20230501183000"), body, _extraction("one"))
        assert created and not created_again
        assert again.id == first.id and other_time.id != first.id
        assert first.sha256 == hashlib.sha256(body).hexdigest() and first.size == len(body)
        assert arc.read_body(first) == body
        blobs = [p for p in (tmp_path / "a/blobs").rglob("*") if p.is_file()]
        assert len(blobs) == 1  # identical bytes stored once


def test_variants_of_a_url_are_one_policy(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://www.example.com/privacy/")
        for variant in (
            "http://example.com/privacy",
            "example.com/privacy#top",
            "https://www.example.com/privacy?utm_source=x",
        ):
            assert arc.get_policy(variant).id == p.id
        assert len(arc.policies()) == 1
        with pytest.raises(NotFoundError):
            arc.get_policy("https://example.com/terms")


def test_versions_group_consecutive_captures_with_the_same_text(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        texts = ["A", "A", "B", "B", "A"]
        for i, text in enumerate(texts):
            arc.add_capture(p, _capture(f"2020010{i + 1}000000"), f"<p>{i}</p>".encode(), _extraction(text))
        versions = arc.versions(p.id)
        assert [arc.text(v.text_sha256) for v in versions] == ["A", "B", "A"]
        assert [len(v.captures) for v in versions] == [2, 2, 1]
        # the change window: last capture with the old text, first with the new
        assert versions[1].previous_capture is not None
        assert versions[1].previous_capture.timestamp == "20200102000000"
        assert versions[1].timestamp == "20200103000000"
        assert arc.policies()[0].versions == 3 and arc.policies()[0].captures == 5
        assert arc.version_at("example.com/privacy", "20200104").text_sha256 == text_sha256("B")
        assert arc.version_at("example.com/privacy", "2021").text_sha256 == text_sha256("A")
        with pytest.raises(NotFoundError):
            arc.version_at("example.com/privacy", "2019")


def test_versions_carry_the_flags_that_need_neighbours(tmp_path: Path) -> None:
    """A section missing from one capture and back in the next is flagged; so is a language change."""
    sections = {h: f"# {h}\n\n" + " ".join(f"{h.lower()}{i}" for i in range(400)) for h in "ABCD"}
    whole = "\n\n".join(sections.values())
    without_c = "\n\n".join(v for k, v in sections.items() if k != "C")
    texts = [(whole, "en"), (without_c, "en"), (whole + "\n\nextra", "en"), (whole + " fin", "fr")]
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        for i, (text, lang) in enumerate(texts):
            ex = replace(_extraction(text), language=lang)
            arc.add_capture(p, _capture(f"2020010{i + 1}000000"), f"<p>{i}</p>".encode(), ex)
        flags = [v.flags for v in arc.versions(p.id)]
        assert Flag.TRUNCATED.value in flags[1]
        assert Flag.LANGUAGE_CHANGED.value in flags[3]
        assert not ({Flag.TRUNCATED.value, Flag.LANGUAGE_CHANGED.value} & set(flags[0] + flags[2]))


def test_verify_names_a_damaged_capture(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        good, _ = arc.add_capture(p, _capture("20200101000000"), b"<p>good</p>", _extraction("good"))
        bad, _ = arc.add_capture(p, _capture("20200102000000"), b"<p>will be damaged</p>", _extraction("bad"))
        assert arc.verify() == []
        path = arc.blob_path(bad.sha256 or "")
        data = bytearray(path.read_bytes())
        data[3] ^= 0x01
        os.chmod(path, 0o644)
        path.write_bytes(bytes(data))
        problems = arc.verify()
        assert [p.capture_id for p in problems] == [bad.id]
        assert "does not match its sha256" in str(problems[0]) and "20200102000000" in str(problems[0])
        with pytest.raises(StorageError, match="damaged"):
            arc.read_body(bad)
        assert arc.read_body(good) == b"<p>good</p>"  # nothing else is affected


def test_a_full_disk_mid_write_stores_nothing_and_keeps_the_archive_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        kept, _ = arc.add_capture(p, _capture("20200101000000"), b"<p>kept</p>", _extraction("kept"))
        real_fsync = os.fsync

        def full(fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "fsync", full)
        with pytest.raises(ArchiveNotWritableError, match="No space left on device") as raised:
            arc.add_capture(p, _capture("20200102000000"), b"<p>lost</p>", _extraction("lost"))
        assert raised.value.kind is ErrorKind.DISK_FULL  # what the app branches on, not the words
        monkeypatch.setattr(os, "fsync", real_fsync)
        assert [c.id for c in arc.captures(p.id)] == [kept.id]  # no row without its bytes
        assert list((tmp_path / "tmp").iterdir()) == []  # no temp file left behind
        assert arc.verify() == [] and arc.ledger_head()[0] == 1


def test_a_full_database_is_a_disk_full_error_by_its_sqlite_code(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full" (here its page limit is reached) is a StorageError of
    kind DISK_FULL, known by the result code, and the capture is not stored."""
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        conn = arc._conn()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StorageError) as raised:
            arc.add_capture(p, _capture("20200102000000"), b"<p>x</p>", _extraction("x " * 20_000))
        assert raised.value.kind is ErrorKind.DISK_FULL
        assert arc.captures(p.id) == []


def test_a_busy_archive_is_said_so_by_kind(tmp_path: Path) -> None:
    """Another program holding the write lock: a StorageError of kind BUSY (from SQLite's code)."""
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        holder = sqlite3.connect(tmp_path / "archive.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        conn = arc._conn()
        conn.execute("PRAGMA busy_timeout = 50")
        try:
            with pytest.raises(StorageError) as raised:
                arc.set_label(p.id, "x")
            assert raised.value.kind is ErrorKind.BUSY
        finally:
            holder.execute("ROLLBACK")
            holder.close()


def test_newer_schema_is_refused_without_touching_it(tmp_path: Path) -> None:
    Archive.open(tmp_path).close()
    db = tmp_path / "archive.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = db.read_bytes()
    with pytest.raises(SchemaTooNewError, match="upgrade policydiff"):
        Archive.open(tmp_path)
    assert db.read_bytes() == before


def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    (tmp_path / "archive.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CorruptArchiveError, match="damaged"):
        Archive.open(tmp_path)


def test_unwritable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ArchiveNotWritableError, match="cannot write to the archive"):
        Archive.open(blocker / "archive")


def test_stray_temp_file_of_a_dead_writer_is_removed(tmp_path: Path) -> None:
    Archive.open(tmp_path).close()
    stray = tmp_path / "tmp" / "999999999-1-abcdef.tmp"  # no such pid
    stray.write_bytes(b"half")
    Archive.open(tmp_path).close()
    assert not stray.exists()


def test_job_state_persists(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        arc.job_put("fetch:x", {"done": ["1"], "cursor": "k"})
    with Archive.open(tmp_path) as arc:
        assert arc.job_get("fetch:x") == {"done": ["1"], "cursor": "k"}
        arc.job_done("fetch:x")
        assert arc.job_get("fetch:x") is None


def test_headers_and_redirects_round_trip(tmp_path: Path) -> None:
    cap = Capture(
        id=0,
        policy_id=0,
        source=Source.WAYBACK,
        timestamp="20200101000000",
        original_url="https://example.com/p",
        archive="https://web.archive.org/web/",
        memento_url="https://web.archive.org/web/20200101000000id_/https://example.com/p",
        http_status=200,
        headers=(("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")),
        redirects=("http://example.com/p",),
        flags=("x",),
    )
    with Archive.open(tmp_path) as arc:
        stored, _ = arc.add_capture(arc.ensure_policy(cap.original_url), cap, b"body", None)
        assert (
            stored.headers == cap.headers and stored.redirects == cap.redirects and stored.http_status == 200
        )
        assert json.loads(json.dumps(stored.headers)) == [list(h) for h in cap.headers]
        assert arc.versions(stored.policy_id) == []  # no text: not a version, but the bytes are kept
        assert arc.read_body(stored) == b"body"


def test_verify_can_be_cancelled_and_changes_nothing(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        for i in range(3):
            arc.add_capture(p, _capture(f"2020010{i + 1}000000"), f"<p>{i}</p>".encode(), _extraction(str(i)))
        cancel = threading.Event()
        cancel.set()
        with pytest.raises(CancelledError, match="nothing was changed"):
            arc.verify(cancel)
        assert arc.verify(threading.Event()) == [] and len(arc.captures(p.id)) == 3


def test_storing_the_same_bytes_again_restores_a_missing_or_damaged_raw_file(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        body = b"<p>the policy</p>"
        first, _ = arc.add_capture(p, _capture("20200101000000"), body, _extraction("the policy"))
        path = arc.blob_path(first.sha256 or "")
        path.unlink()
        again, created = arc.add_capture(p, _capture("20200101000000"), body, _extraction("the policy"))
        assert not created and again.id == first.id and arc.read_body(first) == body  # restored
        damaged = bytearray(body)
        damaged[3] ^= 1
        os.chmod(path, 0o644)
        path.write_bytes(bytes(damaged))  # same size, one bit off
        later, created = arc.add_capture(p, _capture("20200102000000"), body, _extraction("the policy"))
        assert created and arc.read_body(later) == body and arc.verify() == []


def test_an_unreadable_raw_file_is_a_named_problem_not_a_crash(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        p = arc.ensure_policy("https://example.com/privacy")
        cap, _ = arc.add_capture(p, _capture("20200101000000"), b"<p>x</p>", _extraction("x"))
        path = arc.blob_path(cap.sha256 or "")
        path.unlink()
        path.mkdir()  # a folder where the file should be
        (problem,) = arc.verify()
        assert problem.capture_id == cap.id and "cannot be read" in problem.what
        with pytest.raises(StorageError, match="cannot be read"):
            arc.read_body(cap)


def test_the_open_probe_is_named_like_a_live_writers_temp_file(tmp_path: Path) -> None:
    """Another process opening the archive cleans stray temp files; a probe named after a live pid
    is left alone (a 'probe-PID' name was removed under the opener, which then took a healthy
    archive for unwritable)."""
    Archive.open(tmp_path).close()
    probe = tmp_path / "tmp" / f"{os.getpid()}-1-probe"
    probe.write_bytes(b"")
    Archive.open(tmp_path).close()  # its cleanup runs
    assert probe.exists()


def test_a_transaction_stores_all_of_its_block_or_none(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        with pytest.raises(RuntimeError), arc.transaction() as conn:
            conn.execute("INSERT INTO jobs(key, state, updated_at) VALUES ('a', '{}', '')")
            raise RuntimeError("half way")
        assert arc.query("SELECT key FROM jobs") == []
        with arc.transaction() as conn:
            conn.execute("INSERT INTO jobs(key, state, updated_at) VALUES ('a', '{}', '')")
        assert [r["key"] for r in arc.query("SELECT key FROM jobs")] == ["a"]


def test_only_a_query_of_user_syntax_lets_an_operational_error_through(tmp_path: Path) -> None:
    """A malformed FTS5 query is the user's to hear about (archiver.index); elsewhere an error
    reading the database is the archive's."""
    with Archive.open(tmp_path) as arc:
        sql = "SELECT rowid FROM search_fts WHERE search_fts MATCH ?"
        with pytest.raises(sqlite3.OperationalError):
            arc.query(sql, ("NEAR(",), user_syntax=True)
        with pytest.raises(CorruptArchiveError):
            arc.query(sql, ("NEAR(",))

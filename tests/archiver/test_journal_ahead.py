"""A database put back from an older copy while its journals went on: refused for writing, reported
by verify, rebuilt by recover; a journal merely behind its table is still caught up silently."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.errors import ErrorKind, JournalAheadError
from archiver.portfolio import Portfolio
from archiver.storage import Archive

URL = "https://shop.example/privacy"
JOURNALS = ("ledger.jsonl", "curation.jsonl")


def run(capsys: pytest.CaptureFixture[str], arc: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--archive", str(arc), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def store(capsys: pytest.CaptureFixture[str], arc: Path, timestamp: str, days: int) -> None:
    page = arc.parent / f"{timestamp}.html"
    page.write_text(
        f"<html><body><main><h1>Privacy</h1><p>We keep your orders for {days} days.</p></main></body></html>",
        encoding="utf-8",
    )
    code, out, err = run(capsys, arc, "import", str(page), "--url", URL, "--date", timestamp)
    assert code == 0, out + err


def tag(capsys: pytest.CaptureFixture[str], arc: Path, tags: str) -> None:
    code, out, err = run(capsys, arc, "edit", URL, "--tags", tags)
    assert code == 0, out + err


def copy_database(arc: Path, to: Path) -> None:
    with sqlite3.connect(arc / "archive.sqlite3") as conn:  # all of it in the one file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy2(arc / "archive.sqlite3", to)


def put_back(old: Path, arc: Path) -> None:
    for name in ("archive.sqlite3-wal", "archive.sqlite3-shm"):
        (arc / name).unlink(missing_ok=True)
    shutil.copy2(old, arc / "archive.sqlite3")


def journals(arc: Path) -> dict[str, bytes]:
    return {name: (arc / name).read_bytes() for name in JOURNALS}


@pytest.fixture
def arc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Two captures and a tag; the database copied aside; a third capture and another tag; the old
    copy put back."""
    arc = tmp_path / "arc"
    store(capsys, arc, "20200101000000", 30)
    store(capsys, arc, "20210101000000", 60)
    tag(capsys, arc, "vendor")
    copy_database(arc, tmp_path / "old.sqlite3")
    store(capsys, arc, "20220101000000", 90)
    tag(capsys, arc, "vendor; audited")
    put_back(tmp_path / "old.sqlite3", arc)
    return arc


def test_a_database_behind_its_journals_is_refused_verified_and_recovered(
    arc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = journals(arc)
    with pytest.raises(JournalAheadError) as refused:
        Archive.open(arc)
    assert refused.value.kind is ErrorKind.JOURNAL_AHEAD
    assert str(refused.value) == (
        f"the archive database {arc / 'archive.sqlite3'} is behind its journals, as an older copy put "
        "back would be (ledger.jsonl holds 1 entry beyond it; curation.jsonl holds 1 entry beyond it); "
        "nothing was changed. 'policydiff recover' rebuilds the database from the journals and the raw "
        "files, keeping the current database file aside"
    )
    code, _, err = run(capsys, arc, "policies")
    assert code == 1 and "is behind its journals" in err and "'policydiff recover'" in err
    code, _, err = run(capsys, arc, "edit", URL, "--tags", "lost")  # a change is refused too
    assert code == 1 and "is behind its journals" in err
    assert journals(arc) == before  # nothing was written

    code, out, err = run(capsys, arc, "verify")
    assert code == 1 and "3 problem(s)" in err
    orphan, *behind = out.splitlines()  # the later capture's raw file, which no capture names here
    assert "is named by no capture" in orphan
    assert behind == [
        f"BAD the database is behind its journal, as an older copy put back would be: {name} holds 1 "
        "entry beyond it; 'policydiff recover' rebuilds it from the journals and the raw files, keeping "
        "the current file aside"
        for name in JOURNALS
    ]
    assert journals(arc) == before

    code, out, err = run(capsys, arc, "recover")
    assert code == 0, out + err
    assert "restored 3 captures (3 with their text)" in err
    kept = Path(err.split("kept the old database aside as ")[1].split("\n")[0])
    assert kept.name.startswith("archive.sqlite3.older-")
    with sqlite3.connect(kept) as conn:  # the older copy, kept as it was
        assert conn.execute("SELECT COUNT(*) FROM captures").fetchone() == (2,)
    with Archive.open(arc) as archive:
        policy = archive.get_policy(URL)
        assert [c.timestamp for c in archive.captures(policy.id)] == [
            "20200101000000",
            "20210101000000",
            "20220101000000",
        ]
        assert Portfolio(archive).tags()[policy.id] == ("audited", "vendor")
    assert journals(arc) == before  # rebuilt in step with them: nothing to catch up
    code, _, err = run(capsys, arc, "verify")
    assert code == 0 and "ledger of 3 entries" in err


def test_a_journal_line_that_differs_from_its_table_is_refused(
    arc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, arc, "recover")
    assert code == 0, err
    with sqlite3.connect(arc / "archive.sqlite3") as conn:  # the same seq, another story
        conn.execute("UPDATE curation_log SET entry = replace(entry, 'audited', 'other') WHERE seq = 2")
    with pytest.raises(JournalAheadError, match=r"\(curation\.jsonl's entry 2 differs from it\)"):
        Archive.open(arc)


def test_recover_leaves_a_database_in_step_with_its_journals_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arc = tmp_path / "arc"
    store(capsys, arc, "20200101000000", 30)
    code, _, err = run(capsys, arc, "recover")
    assert code == 2 and "reads fine" in err


def test_a_journal_behind_its_table_is_caught_up_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arc = tmp_path / "arc"
    store(capsys, arc, "20200101000000", 30)
    tag(capsys, arc, "vendor")
    store(capsys, arc, "20210101000000", 60)
    tag(capsys, arc, "vendor; audited")
    whole = journals(arc)
    for name, data in whole.items():  # the process died after the commit, before the append
        (arc / name).write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 1])
    with Archive.open(arc):
        pass
    assert journals(arc) == whole


def test_an_archive_without_journals_opens_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arc = tmp_path / "arc"
    store(capsys, arc, "20200101000000", 30)
    tag(capsys, arc, "vendor")
    lines = {name: len(data.splitlines()) for name, data in journals(arc).items()}
    for name in JOURNALS:
        (arc / name).unlink()
    with Archive.open(arc) as archive:
        assert Portfolio(archive).tags()[archive.get_policy(URL).id] == ("vendor",)
    assert {name: len(data.splitlines()) for name, data in journals(arc).items()} == lines
    code, _, err = run(capsys, arc, "verify")
    assert code == 0, err


def test_the_app_says_the_database_is_behind_and_how_to_recover(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    from ui.messages import describe

    db = tmp_path / "A" / "archive.sqlite3"
    message = describe(JournalAheadError(str(db), ["ledger.jsonl holds 2 entries beyond it"])).text
    assert message == (
        "The archive's database is behind its journals (ledger.jsonl holds 2 entries beyond it): an "
        "older copy of archive.sqlite3 was probably put back. Nothing was changed. To rebuild it from "
        "the journals and the raw files (the current file is kept aside), quit and run "
        f"“policydiff --archive {tmp_path / 'A'} recover” in a terminal."
    )

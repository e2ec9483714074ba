"""Issue 18, part 4: an archive never silently loses or hides anything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.storage import Archive

DATA = Path(__file__).resolve().parents[1] / "data"
PLLC = DATA / "000_f3b110e2aecbbe7d.txt"
PAGES = sorted((DATA / "corpus/tinder-privacy").glob("202[23]*.html"))
URL = "https://tinder.com/privacy"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def archive_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    a = tmp_path / "A"
    assert run(capsys, "--archive", str(a), "import", str(PLLC))[0] == 0
    assert run(capsys, "--archive", str(a), "import", *map(str, PAGES), "--url", URL)[0] == 0
    return a


def _head(capsys: pytest.CaptureFixture[str], a: Path) -> str:
    code, _, err = run(capsys, "--archive", str(a), "verify")
    assert code == 0, err
    return err.split("head sha256 ")[1].split()[0]


@pytest.mark.parametrize("how", ["empty", "missing"])
def test_a_lost_database_beside_raw_files_is_refused_then_recovered(
    archive_dir: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    head = _head(capsys, archive_dir)
    blobs = sorted(p.name for p in (archive_dir / "blobs").glob("*/*"))
    db = archive_dir / "archive.sqlite3"
    for extra in archive_dir.glob("archive.sqlite3-*"):
        extra.unlink()
    if how == "empty":
        db.write_bytes(b"")
    else:
        db.unlink()
    code, out, err = run(capsys, "--archive", str(archive_dir), "verify")
    assert code == 1 and f"{len(blobs)} raw file(s)" in err and "policydiff recover" in err
    assert (db.stat().st_size == 0) if how == "empty" else not db.exists()  # nothing was recreated
    code, out, err = run(capsys, "--archive", str(archive_dir), "recover")
    assert code == 0, out + err
    assert f"restored {len(PAGES) + 1} captures ({len(PAGES) + 1} with their text)" in err
    assert _head(capsys, archive_dir) == head  # the same ledger: the same history
    with Archive.open(archive_dir) as archive:
        policy = archive.get_policy(URL)
        captures = archive.captures(policy.id)
        dates = archive.dates_of(captures)
        assert [dates[c.id].source.value for c in captures] == ["file-name"] * len(PAGES)
        pllc = archive.get_policy("https://www.cacuqecig.com/help/warranty.html")
        [version] = archive.versions(pllc.id)
        assert "text-only" in version.flags and archive.text(version.text_sha256).strip()
    assert sorted(p.name for p in (archive_dir / "blobs").glob("*/*")) == blobs


def test_verify_reports_orphaned_raw_files_and_ledger_entries_without_captures(
    archive_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(archive_dir / "archive.sqlite3") as conn:  # a capture lost from the database
        conn.execute("PRAGMA foreign_keys=OFF")
        [(cid, sha)] = conn.execute(
            "SELECT id, sha256 FROM captures WHERE sha256 IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchall()
        conn.execute("DELETE FROM extractions WHERE capture_id = ?", (cid,))
        conn.execute("DELETE FROM captures WHERE id = ?", (cid,))
    code, out, err = run(capsys, "--archive", str(archive_dir), "verify")
    assert code == 1
    assert "in the ledger but gone from the archive" in out
    assert f"raw file blobs/{sha[:2]}/{sha} is named by no capture" in out


def test_read_only_commands_work_on_a_write_protected_archive(
    archive_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # write protection as root cannot be a chmod: the archive's tmp/ is made a file, so nothing can
    # be written there (the open's probe fails as on a read-only medium)
    tmp = archive_dir / "tmp"
    tmp.rmdir()
    tmp.write_bytes(b"")
    before = {p: p.stat().st_mtime_ns for p in archive_dir.rglob("*") if p.is_file()}
    for argv in (
        ["verify"],
        ["policies"],
        ["versions", URL],
        ["diff", f"{URL}@2022", f"{URL}@2023"],
        ["export", URL, "--csv", str(tmp_path / "out.csv")],
        ["report", f"{URL}@2022", f"{URL}@2023", "--html", str(tmp_path / "r.html")],
    ):
        code, out, err = run(capsys, "--archive", str(archive_dir), *argv)
        assert code in (0, 1) and "cannot write" not in err, (argv, err)
        assert out or "OK" in err, argv
    assert (tmp_path / "out.csv").exists() and (tmp_path / "r.html").exists()
    code, _, err = run(
        capsys, "--archive", str(archive_dir), "import", str(PAGES[0]), "--url", "https://x.org/p"
    )
    assert code == 1 and "cannot write to the archive" in err
    after = {p: p.stat().st_mtime_ns for p in archive_dir.rglob("*") if p.is_file()}
    assert after == before  # nothing in the archive was written


def test_a_damaged_database_is_diagnosed_with_a_way_out(
    archive_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = _head(capsys, archive_dir)
    code, _, err = run(capsys, "--archive", str(archive_dir), "recover")
    assert code == 2 and "reads fine" in err  # a healthy database is left alone
    db = archive_dir / "archive.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    data[:16] = b"not sqlite at al"
    db.write_bytes(bytes(data))
    code, _, err = run(capsys, "--archive", str(archive_dir), "policies")
    assert code == 1 and "not an SQLite database" in err and "policydiff recover" in err
    assert "run 'policydiff verify'" not in err  # no longer sent round in a circle
    code, _, err = run(capsys, "--archive", str(archive_dir), "recover")
    assert code == 0 and "kept the old database aside" in err
    assert list(archive_dir.glob("archive.sqlite3.damaged-*"))
    assert _head(capsys, archive_dir) == head


def test_the_app_says_how_to_recover(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    from archiver.errors import ArchiveIndexMissingError, DamagedDatabaseError
    from ui.messages import describe

    db = str(tmp_path / "A" / "archive.sqlite3")
    damaged = describe(
        DamagedDatabaseError(db, "file is not a database", "it is not an SQLite database")
    ).text
    assert (
        "it is not an SQLite database" in damaged
        and "recover" in damaged
        and "Nothing was changed" in damaged
    )
    missing = describe(ArchiveIndexMissingError(db, "empty (0 bytes)", 6, True)).text
    assert "6 raw files" in missing and str(tmp_path / "A") in missing

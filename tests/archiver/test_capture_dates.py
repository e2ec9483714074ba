"""Issue 18, part 2: every capture date has a stated source; undated files are refused, not guessed."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.capture_dates import DateSource, from_file_name, saved_response
from archiver.cli import main
from archiver.storage import Archive

DATA = Path(__file__).resolve().parents[1] / "data"
PAGE = (DATA / "corpus/tinder-privacy/20220407003230.html").read_bytes()
URL = "https://tinder.com/privacy"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _sources(archive_dir: Path) -> dict[str, tuple[DateSource, str]]:
    with Archive.open(archive_dir) as archive:
        captures = archive.captures(archive.get_policy(URL).id)
        dates = archive.dates_of(captures)
        return {c.timestamp: (dates[c.id].source, dates[c.id].detail) for c in captures}


def test_file_names_carry_dates() -> None:
    assert from_file_name("20230425183000.html") == "20230425183000"
    assert from_file_name("privacy-2023-04-25T18-30-00.html") == "20230425183000"
    assert from_file_name("privacy_2023-04-25.html") == "20230425000000"
    assert from_file_name("20231325183000.html") is None  # month 13: not a date
    assert from_file_name("privacy.html") is None and from_file_name("v123456789012345.html") is None


def test_a_saved_http_response_dates_the_page_and_is_split_off() -> None:
    saved = saved_response(
        b"HTTP/1.1 200 OK\r\nDate: Tue, 25 Apr 2023 18:30:00 GMT\r\nContent-Type: text/html\r\n\r\n<html>x"
    )
    assert saved is not None and saved.date == "20230425183000" and saved.status == 200
    assert saved.body == b"<html>x" and ("Content-Type", "text/html") in saved.headers
    assert saved_response(b"<html>HTTP/1.1 200 OK") is None


def test_each_import_records_where_its_date_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = tmp_path / "A"
    named = tmp_path / "20220407003230.html"
    named.write_bytes(PAGE)
    wget = tmp_path / "wget-saved.html"  # wget --save-headers: the response head, then the page
    wget.write_bytes(b"HTTP/1.1 200 OK\r\nDate: Sun, 01 May 2022 10:00:00 GMT\r\n\r\n" + PAGE)
    code, out, err = run(capsys, "--archive", str(a), "import", str(named), str(wget), "--url", URL)
    assert code == 0, err
    plain = tmp_path / "saved.html"
    plain.write_bytes(PAGE.replace(b"Tinder", b"Tinder Inc"))
    code, _, err = run(capsys, "--archive", str(a), "import", str(plain), "--url", URL, "--date", "2021")
    assert code == 0, err
    mtime = tmp_path / "copy.html"
    mtime.write_bytes(PAGE.replace(b"Tinder", b"Match"))
    os.utime(mtime, (datetime(2020, 6, 1, 12, tzinfo=UTC).timestamp(),) * 2)
    code, _, err = run(capsys, "--archive", str(a), "import", str(mtime), "--url", URL, "--date-from-mtime")
    assert code == 0, err
    assert _sources(a) == {
        "20200601120000": (DateSource.FILE_MTIME, "--date-from-mtime"),
        "20210101000000": (DateSource.GIVEN, "--date"),
        "20220407003230": (DateSource.FILE_NAME, "20220407003230.html"),
        "20220501100000": (DateSource.HTTP_DATE, "Date header"),
    }
    with Archive.open(a) as archive:  # the saved response head is the capture's, not its body's
        by_time = {c.timestamp: c for c in archive.captures(archive.get_policy(URL).id)}
        assert archive.read_body(by_time["20220501100000"]) == PAGE
        assert by_time["20220501100000"].http_status == 200
    code, out, _ = run(capsys, "--archive", str(a), "versions", URL, "--json")
    sources = [c["date_source"]["source"] for v in json.loads(out) for c in v["captures"]]
    assert sources == ["file-mtime", "given", "file-name", "http-date"]
    report = tmp_path / "r.html"
    code, _, err = run(
        capsys, "--archive", str(a), "report", f"{URL}@2020", f"{URL}@2021", "--html", str(report)
    )
    assert code == 0, err
    text = report.read_text(encoding="utf-8")
    assert "Capture time from" in text and "modification time" in text and "given by the user" in text


def test_undated_files_are_refused_all_together_with_how_to_date_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = tmp_path / "A"
    files = []
    for name in ("one.html", "two.html"):
        (tmp_path / name).write_bytes(PAGE + name.encode())
        files.append(str(tmp_path / name))
    code, out, err = run(capsys, "--archive", str(a), "import", *files, "--url", URL)
    assert code == 2 and "no capture date" in err and "--date-from-mtime" in err and "one.html" in err
    code, out, err = run(capsys, "--archive", str(a), "import", *files, "--url", URL, "--date", "2021")
    assert code == 2 and "one capture time" in err
    with Archive.open(a) as archive:
        assert archive.policies() == [] and not list((a / "blobs").glob("*/*"))  # nothing stored


def test_future_dates_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "20990101000000.html"  # a file name in the future is no date
    page.write_bytes(PAGE)
    code, _, err = run(capsys, "--archive", str(tmp_path / "A"), "import", str(page), "--url", URL)
    assert code == 2 and "no capture date" in err
    code, _, err = run(
        capsys, "--archive", str(tmp_path / "A"), "import", str(page), "--url", URL, "--date", "2099"
    )
    assert code == 2 and "in the future" in err

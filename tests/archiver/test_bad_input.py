"""Issue 18: every argument validated with a clear message and exit 2, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.cli.args import check_capture_date, check_count, split_versioned
from archiver.errors import InvalidDateError, UsageError
from archiver.timestamps import parse_date_arg


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2023-13", "month 13 does not exist"),
        ("202300", "month 00 does not exist"),
        ("202313", "month 13 does not exist"),
        ("2023-02-29", "day 29 does not exist in 2023-02"),
        ("2023-04-31", "day 31 does not exist"),
        ("20230101240000", "hour 24 does not exist"),
        ("20230101006000", "minute 60"),
        ("0000", "no year 0000"),
        ("٢٠٢٣", "4 to 14 digits"),  # Arabic-Indic digits: int() takes them, a timestamp must not
        ("202", "4 to 14 digits"),
        ("20231", "4 to 14 digits"),
    ],
)
def test_dates_that_are_not_calendar_values_are_refused_by_name(value: str, reason: str) -> None:
    for pad in ("down", "up"):
        with pytest.raises(InvalidDateError, match=reason):
            parse_date_arg(value, pad=pad)


def test_month_ends_and_leap_days() -> None:
    assert parse_date_arg("2024-02", pad="up") == "20240229235959"
    assert parse_date_arg("2023-02", pad="up") == "20230228235959"
    assert parse_date_arg("20240229") == "20240229000000"


@pytest.mark.parametrize(
    "argv",
    [
        ["diff", "https://example.com/p@2023-13", "https://example.com/p@2023"],
        ["report", "https://example.com/p@202300", "https://example.com/p@2023", "--html", "r.html"],
        ["captures", "https://example.com/p", "--to", "202313"],
        ["fetch", "https://example.com/p", "--from", "2023-00"],
        ["captures", "mailto:a@example.com"],
        ["fetch", "https://example.com/p", "--archive-url", "ftp://archive.example/"],
        ["import", "x.html", "--url", "https://example.com/p", "--date", "2099"],
        ["import", "x.html", "--url", "javascript:alert(1)"],
        ["import", "bad\x00name.html", "--url", "https://example.com/p"],
        ["diff", "a.md", "b.md", "--context", "-1"],
        ["diff", "a.md", "b.md", "--context", "three"],
        ["report", "https://example.com/p@2023", "not-versioned", "--html", "r.html"],
        ["report", "https://example.com/p@2022", "https://example.com/p@2023", "--html", "r\x00.html"],
        ["export", "https://example.com/p", "--csv", ""],
        ["versions", "http://exa mple.com/"],
        ["extract", "\x00"],  # found by benchmarks/fuzz.py: was a ValueError traceback
        ["versions", "https://[::1"],  # found by benchmarks/fuzz.py (blame, rules, notes, remove too)
    ],
)
def test_bad_arguments_exit_2_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    archive = tmp_path / "A"
    code, out, err = run(capsys, "--archive", str(archive), *argv)
    assert code == 2, (argv, err)
    assert "Traceback" not in err and out == ""
    assert err.startswith("policydiff") and err.count("\n") == 1  # one line: what is wrong, where help is
    assert not (archive / "archive.sqlite3").exists()  # refused before the archive was opened


@pytest.mark.parametrize("command", ["blame", "rules", "notes", "remove"])
def test_an_unclosed_ipv6_bracket_is_a_bad_url_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, _, err = run(capsys, "--archive", str(tmp_path / "A"), command, "https://[::1")  # fuzz-found
    assert code == 2 and "not a web page URL" in err and err.count("\n") == 1


@pytest.mark.parametrize("option", ["--archive", "--ca-bundle"])
def test_global_file_options_are_checked(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, option, "a\x00b", "policies")
    assert code == 2 and "NUL" in err and err.count("\n") == 1


def test_diff_of_a_bad_month_names_the_month(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "--archive", str(tmp_path / "A"), "diff", "https://e.com/p@2023-13", "https://e.com/p@2023"
    )
    assert code == 2 and "month 13 does not exist" in err


def test_capture_dates_in_the_future_are_refused() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert check_capture_date("2026-01-02 03:04:05", now) == "20260102030405"
    with pytest.raises(InvalidDateError, match="future"):
        check_capture_date("20260102030406", now)


def test_versioned_and_counts() -> None:
    assert split_versioned("https://e.com/p@2024-05") == ("https://e.com/p", "2024-05")
    assert split_versioned("notes.md") is None
    with pytest.raises(UsageError):
        split_versioned("https://e.com/p@2024-13")
    assert check_count("3") == 3
    for bad in ("-1", "²", "1.5", ""):
        with pytest.raises(UsageError):
            check_count(bad)


# --- 7: offline is said at once ----------------------------------------------------------------


def test_a_name_that_does_not_resolve_is_said_at_once_not_retried() -> None:
    from client_support import manual_session

    from archiver.errors import UnreachableError

    session, clock = manual_session()
    with session, pytest.raises(UnreachableError) as caught:
        # .invalid never resolves (RFC 6761), with or without a network
        session.request("http://policydiff-test.invalid/privacy", group="test")
    assert caught.value.offline and caught.value.attempts == 1
    assert "name does not resolve" in str(caught.value)
    assert clock.now() < 1001.0  # no back-off was waited (the clock starts at 1000)


def test_the_app_words_offline_for_the_app() -> None:
    from archiver.errors import UnreachableError

    pytest.importorskip("PySide6")
    from ui.messages import describe

    text = describe(UnreachableError("u", "web.archive.org", "its name does not resolve", 1, True)).text
    assert "looks offline" in text and "fetch again" in text
    assert "command" not in text


# --- 3: import refuses what it cannot read, as extract does -------------------------------------


@pytest.mark.parametrize("name", ["random.bin", "random.html", "random"])
def test_random_bytes_are_refused_by_import_as_by_extract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    import random

    path = tmp_path / name
    path.write_bytes(random.Random(18).randbytes(200_000))
    archive = tmp_path / "A"
    code, out, err = run(
        capsys, "--archive", str(archive), "import", str(path), "--url", "https://e.com/p", "--date", "2020"
    )
    assert code == 1 and "binary content" in err and "import HTML, PDF, text" in err and out == ""
    code, _, extract_err = run(capsys, "extract", str(path))
    assert code == 1 and "binary content" in extract_err
    assert not list((archive / "blobs").glob("*/*"))


def test_app_messages_name_the_menu_not_the_command() -> None:
    pytest.importorskip("PySide6")
    from archiver.errors import StorageError
    from ui.messages import describe

    text = describe(StorageError("capture 3: raw file x is missing; run 'policydiff verify'")).text
    assert "File → Verify Archive" in text and "policydiff verify" not in text


def test_a_warc_response_without_its_target_uri_is_unreadable_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # found by benchmarks/fuzz.py: warcio meets a response record without WARC-Target-URI with an
    # AttributeError
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><p>x</p></html>"
    record = (
        b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
        b"WARC-Date: 2020-01-01T00:00:00Z\r\nContent-Type: application/http;msgtype=response\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body + b"\r\n\r\n"
    )
    path = tmp_path / "no-target.warc"
    path.write_bytes(record)
    code, _, err = run(capsys, "--archive", str(tmp_path / "A"), "import", str(path))
    assert code == 1 and "not a readable WARC" in err and "Traceback" not in err


def test_removing_a_policy_twice_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "20200101000000.html"
    page.write_bytes(b"<html><body><h1>Privacy</h1><p>We keep data.</p></body></html>")
    a = str(tmp_path / "A")
    assert run(capsys, "--archive", a, "import", str(page), "--url", "https://e.com/p")[0] == 0
    assert run(capsys, "--archive", a, "remove", "https://e.com/p")[0] == 0
    code, _, err = run(capsys, "--archive", a, "remove", "https://e.com/p")  # found by benchmarks/fuzz.py
    assert code == 1 and "removed already" in err


def test_a_timemap_memento_dated_before_year_1000_is_skipped() -> None:
    from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind
    from archiver.client.memento import parse_timemap

    endpoint = ArchiveEndpoint("https://web.archive.org/web/", ArchiveKind.TIMEMAP)
    text = '<https://e.com/>; rel="original", <https://x.org/m>; rel="memento"; datetime="Mon, 01 Jan 100 00:00:00 GMT"'
    rows, _ = parse_timemap(text, endpoint)  # found by benchmarks/fuzz.py: a 13-digit "timestamp"
    assert rows == []

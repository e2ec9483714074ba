"""Several archives at once: `captures` merges their listings, `fetch` stores every archive's
captures in the one policy, each keeping its archive (two loopback IA-shaped archives)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_support import FakeIA
from pytest_httpserver import HTTPServer

from archiver.cli import main
from archiver.client import pacer as pacer_module
from archiver.client.pacer import ManualClock, Pacer

URL = "https://example.com/privacy"


def page(words: str) -> bytes:
    return f"<html><body><main><h1>Privacy</h1><p>{words}</p></main></body></html>".encode()


@pytest.fixture(autouse=True)
def simulated_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))


@pytest.fixture
def two(httpserver: HTTPServer) -> Iterator[tuple[FakeIA, FakeIA]]:
    other = HTTPServer()
    other.start()
    ia, library = FakeIA(httpserver), FakeIA(other)
    ia.add("20230101080000", URL, page("We keep data for one year."), digest="1")
    ia.add("20230601080000", URL, page("We keep data for two years."), digest="2")
    library.add("20230301080000", URL, page("We keep data for one year."), digest="1")
    library.add("20230901080000", URL, page("We keep data for two years."), digest="2")
    yield ia, library
    other.clear()
    other.stop()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_captures_merges_the_listings_of_several_archives(
    two: tuple[FakeIA, FakeIA], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ia, library = two
    args = ["--archive-url", ia.prefix, "--archive-url", library.prefix, "--archive-kind", "ia"]
    code, out, err = run(capsys, "--archive", str(tmp_path), "captures", URL, *args, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["timestamp"], r["archive"]) for r in rows] == [
        ("20230101080000", ia.prefix),
        ("20230301080000", library.prefix),
        ("20230601080000", ia.prefix),
        ("20230901080000", library.prefix),
    ]
    code, out, err = run(capsys, "--archive", str(tmp_path), "captures", URL, *args)
    assert out.splitlines()[1].endswith(library.prefix) and "4 captures" in err


def test_fetch_from_several_archives_keeps_each_captures_archive(
    two: tuple[FakeIA, FakeIA], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ia, library = two
    args = ["--archive-url", ia.prefix, "--archive-url", library.prefix, "--archive-kind", "ia"]
    code, out, err = run(capsys, "--archive", str(tmp_path), "fetch", URL, *args, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert [a["archive"] for a in summary["archives"]] == [ia.prefix, library.prefix]
    assert summary["listed"] == 4 and summary["downloaded"] == 4
    code, out, _ = run(capsys, "--archive", str(tmp_path), "versions", URL, "--json")
    versions = json.loads(out)
    archives = [[c["archive"] for c in v["captures"]] for v in versions]
    assert archives == [[ia.prefix, library.prefix], [ia.prefix, library.prefix]]

"""Integration: the client against a real pywb serving the test corpus on 127.0.0.1."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from pywb_support import PywbServer, corpus_captures, pywb_corpus  # noqa: F401  (fixture)

from archiver.cli import main
from archiver.client import pacer as pacer_module
from archiver.client.endpoints import archive_endpoint
from archiver.client.jobs import FetchJob, run_fetch
from archiver.client.listing import list_captures
from archiver.client.pacer import ManualClock, Pacer
from archiver.client.replay import fetch_memento
from archiver.client.session import Session
from archiver.errors import NoMementoError
from archiver.storage import Archive

pytestmark = pytest.mark.pywb

BY_URL: dict[str, dict[str, str]] = defaultdict(dict)
for _c in corpus_captures():
    BY_URL[_c.url][_c.timestamp] = _c.sha256


def session() -> Session:
    return Session(Pacer(clock=ManualClock()))  # simulated time: the 1 request/s pacing costs nothing


@pytest.mark.parametrize("kind", ["auto", "pywb", "timemap"])
def test_captures_lists_every_capture_of_each_corpus_policy(pywb_corpus: PywbServer, kind: str) -> None:  # noqa: F811
    endpoint = archive_endpoint(pywb_corpus.prefix, kind)
    for url, expected in BY_URL.items():
        rows = list(list_captures(session(), endpoint, url))
        assert sorted(r.timestamp for r in rows) == sorted(expected), url
        assert {r.original for r in rows} == {url}
        if kind != "timemap":
            assert all(r.status == 200 and r.digest for r in rows)


def test_fetch_stores_each_capture_byte_identical_and_a_second_fetch_downloads_nothing(
    pywb_corpus: PywbServer, tmp_path: Path  # noqa: F811
) -> None:
    endpoint = archive_endpoint(pywb_corpus.prefix)
    with Archive.open(tmp_path / "archive") as arc:
        for url, expected in BY_URL.items():
            summary = run_fetch(FetchJob(arc, session(), endpoint, url))
            assert summary.failed == () and summary.downloaded == len(expected), url
            caps = arc.captures(arc.get_policy(url).id)
            assert {c.timestamp: c.sha256 for c in caps} == expected
            for cap in caps:
                assert cap.memento_url == f"{pywb_corpus.prefix}{cap.timestamp}id_/{url}"
                assert cap.archive == pywb_corpus.prefix and cap.http_status == 200
        for url, expected in BY_URL.items():
            again = run_fetch(FetchJob(arc, session(), endpoint, url))
            assert (again.downloaded, again.skipped, again.failed) == (0, len(expected), ())


def test_fetch_command_against_pywb(pywb_corpus: PywbServer, tmp_path: Path,  # noqa: F811
                                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    url = "https://heloa.app/fr/privacy"
    argv = ["--archive", str(tmp_path / "a"), "fetch", url, "--archive-url", pywb_corpus.prefix, "--json",
            "--from", "202509", "--to", "20250926"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    in_range = [ts for ts in BY_URL[url] if "20250901000000" <= ts <= "20250926235959"]
    assert (out["listed"], out["downloaded"], out["failed"]) == (len(in_range), len(in_range), 0)


def test_an_unknown_url_has_no_captures_and_no_memento(pywb_corpus: PywbServer) -> None:  # noqa: F811
    endpoint = archive_endpoint(pywb_corpus.prefix)
    assert list(list_captures(session(), endpoint, "https://unknown.example/privacy")) == []
    with pytest.raises(NoMementoError):
        fetch_memento(session(), endpoint, "20250101000000", "https://unknown.example/privacy")

"""Integration: the client against a real pywb serving the test corpus on 127.0.0.1."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from pywb_support import (  # noqa: F401  (pywb_corpus is a fixture)
    PywbServer,
    WarcCapture,
    corpus_captures,
    pywb_corpus,
    start_pywb,
    write_warc,
)

from archiver.cli import main
from archiver.client import pacer as pacer_module
from archiver.client.endpoints import archive_endpoint
from archiver.client.jobs import FetchJob, run_fetch
from archiver.client.listing import list_captures, similar_urls
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
    pywb_corpus: PywbServer,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
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


def test_fetch_command_against_pywb(
    pywb_corpus: PywbServer,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    url = "https://heloa.app/fr/privacy"
    argv = [
        "--archive",
        str(tmp_path / "a"),
        "fetch",
        url,
        "--archive-url",
        pywb_corpus.prefix,
        "--json",
        "--from",
        "202509",
        "--to",
        "20250926",
        "--every-capture",  # this test is about downloading every capture in the range
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    in_range = [ts for ts in BY_URL[url] if "20250901000000" <= ts <= "20250926235959"]
    assert (out["listed"], out["downloaded"], out["failed"]) == (len(in_range), len(in_range), 0)


def test_an_unknown_url_has_no_captures_and_no_memento(pywb_corpus: PywbServer) -> None:  # noqa: F811
    endpoint = archive_endpoint(pywb_corpus.prefix)
    assert list(list_captures(session(), endpoint, "https://unknown.example/privacy")) == []
    with pytest.raises(NoMementoError):
        fetch_memento(session(), endpoint, "20250101000000", "https://unknown.example/privacy")


def test_nearby_urls_are_suggested_when_a_url_has_no_captures(
    pywb_corpus: PywbServer,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    endpoint = archive_endpoint(pywb_corpus.prefix)
    heloa, tinder = "https://heloa.app/fr/privacy", "https://policies.tinder.com/privacy/intl/en"
    # the path as a prefix; else its parent folder; never the URL itself; nothing on a TimeMap
    assert similar_urls(session(), endpoint, "https://heloa.app/fr/priv") == (heloa,)
    assert similar_urls(session(), endpoint, "https://www.heloa.app/fr/cgu") == (heloa,)
    assert similar_urls(session(), endpoint, "https://policies.tinder.com/privacy") == (tinder,)
    assert similar_urls(session(), endpoint, heloa) == ()
    assert similar_urls(session(), endpoint, "https://unknown.example/privacy") == ()
    timemap = archive_endpoint(pywb_corpus.prefix, "timemap")
    assert similar_urls(session(), timemap, "https://heloa.app/fr/priv") == ()
    with Archive.open(tmp_path / "a") as arc:
        summary = run_fetch(FetchJob(arc, session(), endpoint, "https://heloa.app/fr/cgu"))
    assert (summary.listed, summary.suggestions) == (0, (heloa,))
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    assert main(["captures", "https://policies.tinder.com/privacy", "--archive-url", pywb_corpus.prefix]) == 0
    err = capsys.readouterr().err
    assert "No captures found" in err and f"nearby URLs:\n  {tinder}\n" in err


EDGE = "https://edge.example/privacy"
MOVED = "https://edge.example/legal/privacy"
V1 = b"<html><body><h1>Privacy</h1><p>First text.</p></body></html>"
V2 = b"<html><body><h1>Privacy</h1><p>Moved text.</p></body></html>"


@pytest.fixture(scope="module")
def pywb_edges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbServer]:
    """A revisit, an archived 302 whose Location is the live URL, and its target, in a real pywb."""
    work = tmp_path_factory.mktemp("pywb-edges")
    warc = write_warc(
        work / "edges.warc.gz",
        [
            WarcCapture(EDGE, "20200101000000", V1),
            WarcCapture(EDGE, "20200201000000", V1, revisit_of=(EDGE, "20200101000000", V1)),
            WarcCapture(EDGE, "20200301000000", b"moved", status="302 Found", headers=(("Location", MOVED),)),
            WarcCapture(MOVED, "20200301000005", V2),
        ],
    )
    server = start_pywb(work / "site", [warc], coll="edges")
    yield server
    server.stop()


def test_real_pywb_revisits_and_archived_redirects(pywb_edges: PywbServer, tmp_path: Path) -> None:
    endpoint = archive_endpoint(pywb_edges.prefix)
    rows = list(list_captures(session(), endpoint, EDGE))
    assert [(r.timestamp, r.status, r.is_revisit) for r in rows] == [
        ("20200101000000", 200, False),
        ("20200201000000", None, True),
        ("20200301000000", 302, False),
    ]
    with Archive.open(tmp_path / "archive") as arc:
        summary = run_fetch(FetchJob(arc, session(), endpoint, EDGE))
        assert (summary.downloaded, summary.reused, summary.failed) == (2, 1, ())
        caps = {(c.timestamp, c.http_status): c for c in arc.captures(arc.get_policy(EDGE).id)}
        assert caps[("20200201000000", 200)].sha256 == caps[("20200101000000", 200)].sha256
        evidence = caps[("20200301000000", 302)]
        assert arc.read_body(evidence) == b"moved" and evidence.original_url == EDGE
        target = caps[("20200301000005", 200)]
        assert arc.read_body(target) == V2 and target.original_url == MOVED
        assert target.memento_url == f"{pywb_edges.prefix}20200301000005id_/{MOVED}"  # Content-Location
        assert "via redirect from" in target.provenance

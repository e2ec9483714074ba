"""Change-point discovery (the default `fetch`) against an IA-shaped archive on 127.0.0.1.

Each history is a list of texts, one per capture, oldest first; the expected change points are
written out by hand from it, never computed by the code under test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from client_support import FakeIA, manual_session
from pytest_httpserver import HTTPServer

from archiver.cli import main
from archiver.client import pacer as pacer_module
from archiver.client.endpoints import ArchiveEndpoint, ArchiveKind
from archiver.client.jobs import FetchJob, run_fetch
from archiver.client.pacer import ManualClock, Pacer
from archiver.errors import CancelledError
from archiver.history.discovery import ChangeJob, run_history
from archiver.history.windows import version_windows
from archiver.storage import Archive

URL = "https://example.com/privacy"
FLAGGED = "flagged"  # a capture archived as a 200 "page not found": no policy text
GONE = "404"  # a capture the listing itself marks 404


def page(text: str) -> bytes:
    if text == FLAGGED:
        return b"<html><head><title>Page not found</title></head><body><h1>404</h1><p>Oops.</p></body></html>"
    clauses = "".join(f"<p>Clause {i}: we keep your personal data safe, text {text}.</p>" for i in range(30))
    return f"<html><body><main><h1>Privacy policy {text}</h1>{clauses}</main></body></html>".encode()


def ts(day: int) -> str:
    """One capture a day from 2020-01-01."""
    from archiver.timestamps import from_datetime, to_datetime

    return from_datetime(to_datetime("20200101000000") + timedelta(days=day))


def serve(ia: FakeIA, texts: Sequence[str], start: int = 0, digests: dict[int, str] | None = None) -> None:
    for n, text in enumerate(texts, start):
        if text == GONE:
            ia.add(ts(n), URL, b"<html>Not here</html>", status=404)
        else:
            ia.add(ts(n), URL, page(text), digest=(digests or {}).get(n, ""))


@pytest.fixture
def arc(tmp_path: Path) -> Iterator[Archive]:
    with Archive.open(tmp_path / "archive") as archive:
        yield archive


@pytest.fixture
def ia(httpserver: HTTPServer) -> FakeIA:
    return FakeIA(httpserver)


def history_job(
    arc: Archive, ia: FakeIA, sample: timedelta | None = timedelta(days=10), **kw: object
) -> ChangeJob:
    session, _ = manual_session()
    fetch = FetchJob(arc, session, ArchiveEndpoint(ia.prefix, ArchiveKind.IA), URL, **kw)  # type: ignore[arg-type]
    return ChangeJob(fetch, sample=sample)


def windows(arc: Archive) -> list[tuple[str | None, str, bool | None]]:
    policy = arc.get_policy(URL)
    return [
        (w.previous.timestamp if w.previous else None, w.first.timestamp, w.exact)
        for w in version_windows(arc, policy, arc.versions(policy.id))
    ]


def downloads(ia: FakeIA) -> list[str]:
    return [p.split("/web/")[1].split("id_")[0] for p in ia.memento_requests]


def test_changes_at_the_first_and_the_last_capture_are_bracketed_exactly(arc: Archive, ia: FakeIA) -> None:
    serve(ia, ["A"] + ["B"] * 38 + ["C"])
    summary = run_history(history_job(arc, ia))
    assert (summary.listed, summary.changes, summary.open_windows) == (40, 2, 0)
    assert windows(arc) == [(None, ts(0), None), (ts(0), ts(1), True), (ts(38), ts(39), True)]
    assert summary.downloaded < 20  # far from all 40


def test_adjacent_changes_are_each_found(arc: Archive, ia: FakeIA) -> None:
    serve(ia, ["A"] * 15 + ["B", "C"] + ["D"] * 15)
    summary = run_history(history_job(arc, ia))
    assert summary.changes == 3 and summary.open_windows == 0
    assert windows(arc)[1:] == [(ts(14), ts(15), True), (ts(15), ts(16), True), (ts(16), ts(17), True)]


def test_a_change_reverted_inside_a_same_text_gap_is_missed_unless_the_sample_is_denser(
    arc: Archive, ia: FakeIA, tmp_path: Path
) -> None:
    texts = ["A"] * 12 + ["B"] * 3 + ["A"] * 12  # B lives 3 days, inside a 10-day sample gap
    serve(ia, texts)
    summary = run_history(history_job(arc, ia))
    assert summary.changes == 0  # the stated limit: both ends of every gap read A
    with Archive.open(tmp_path / "dense") as dense:
        found = run_history(history_job(dense, ia, sample=timedelta(days=2)))
        assert found.changes == 2
        policy = dense.get_policy(URL)
        got = [
            (w.previous.timestamp, w.first.timestamp, w.exact)
            for w in version_windows(dense, policy, dense.versions(policy.id))[1:]
        ]
        assert got == [(ts(11), ts(12), True), (ts(14), ts(15), True)]


@pytest.mark.parametrize(
    "texts,before,after",
    [
        (["A"] * 10 + [FLAGGED] + ["B"] * 10, 9, 11),  # flagged capture after the old text
        (["A"] * 10 + [FLAGGED, FLAGGED, GONE] + ["B"] * 10, 9, 13),
        (["A"] * 10 + [GONE] + ["B"] * 10, 9, 11),  # the listing says 404: never downloaded
    ],
)
def test_captures_without_policy_text_are_stepped_over(
    arc: Archive, ia: FakeIA, texts: list[str], before: int, after: int
) -> None:
    serve(ia, texts)
    summary = run_history(history_job(arc, ia))
    assert (summary.changes, summary.open_windows) == (1, 0)
    policy = arc.get_policy(URL)
    versions = arc.versions(policy.id)
    text_versions = [v for v in versions if v.is_policy_text]
    assert [v.first.timestamp for v in text_versions] == [ts(0), ts(after)]
    assert text_versions[0].captures[-1].timestamp == ts(before)
    assert not any(d == ts(10) for d in downloads(ia)) or texts[10] != GONE


def test_a_flagged_capture_after_the_new_text_begins_is_stepped_over_too(arc: Archive, ia: FakeIA) -> None:
    serve(ia, ["A"] * 10 + ["B", FLAGGED] + ["B"] * 10)
    summary = run_history(history_job(arc, ia))
    assert (summary.changes, summary.open_windows) == (1, 0)
    policy = arc.get_policy(URL)
    text_versions = [v for v in arc.versions(policy.id) if v.is_policy_text]
    assert [v.first.timestamp for v in text_versions][1] == ts(10)
    assert text_versions[0].captures[-1].timestamp == ts(9)


def sectioned(text: str, sections: int = 6) -> bytes:
    parts = "".join(
        f"<h2>Section {n}</h2>"
        + "".join(f"<p>Rule {n}.{i}: your personal data, text {text}.</p>" for i in range(6))
        for n in range(sections)
    )
    return f"<html><body><main><h1>Privacy policy</h1>{parts}</main></body></html>".encode()


def test_a_truncated_capture_between_two_of_the_same_text_is_stepped_over(arc: Archive, ia: FakeIA) -> None:
    # capture 10 lost its last three sections in transit; the text really changes at capture 20
    for n in range(30):
        body = sectioned("A", 3) if n == 10 else sectioned("A" if n < 20 else "B")
        ia.add(ts(n), URL, body)
    summary = run_history(history_job(arc, ia))
    assert (summary.changes, summary.open_windows) == (1, 0)
    policy = arc.get_policy(URL)
    text_versions = [
        v for v in arc.versions(policy.id) if v.is_policy_text and "looks-truncated" not in v.flags
    ]
    assert [
        (v.previous_capture.timestamp if v.previous_capture else None, v.first.timestamp)
        for v in text_versions
    ][-1] == (
        ts(19),
        ts(20),
    )


def test_captures_sharing_a_digest_are_never_downloaded_twice(arc: Archive, ia: FakeIA) -> None:
    # every A capture has the archive's digest "DA": once one is downloaded, the others are known
    texts = ["A"] * 20 + ["B"] * 20
    serve(ia, texts, digests={n: "DA" for n in range(20)} | {n: "DB" for n in range(20, 40)})
    summary = run_history(history_job(arc, ia))
    assert summary.changes == 1 and summary.open_windows == 0
    assert windows(arc)[1] == (ts(19), ts(20), True)
    assert summary.downloaded == 2 and summary.reused > 2  # one download per digest
    assert len(ia.memento_requests) == 2


def test_a_listing_that_grows_is_searched_only_where_it_is_new(arc: Archive, ia: FakeIA) -> None:
    serve(ia, ["A"] * 10 + ["B"] * 20)
    first = run_history(history_job(arc, ia))
    assert first.changes == 1
    before = len(ia.memento_requests)
    serve(ia, ["B"] * 5 + ["C"] * 15, start=30)  # 20 new captures, one more change
    second = run_history(history_job(arc, ia))
    assert (second.listed, second.changes, second.open_windows) == (50, 2, 0)
    new = downloads(ia)[before:]
    assert new and all(d >= ts(30) for d in new)  # nothing already searched is downloaded again
    assert windows(arc)[-1] == (ts(34), ts(35), True)


def test_a_cancel_in_the_middle_of_a_bisection_resumes_without_downloading_again(
    arc: Archive, ia: FakeIA, tmp_path: Path
) -> None:
    serve(ia, ["A"] * 37 + ["B"] * 27)
    cancel = threading.Event()
    job = history_job(arc, ia, sample=None, cancel=cancel)
    with pytest.raises(CancelledError):
        for progress in job.run():
            if progress.done == 4:  # the two ends and two steps of the bisection
                cancel.set()
    first_run = downloads(ia)
    assert len(first_run) == 4
    assert windows(arc)[1][2] is False  # the window is open: captures between not downloaded
    summary = run_history(history_job(arc, ia, sample=None))
    assert (summary.changes, summary.open_windows, summary.skipped) == (1, 0, 4)
    assert windows(arc)[1] == (ts(36), ts(37), True)
    assert len(set(downloads(ia))) == len(downloads(ia))  # no capture downloaded twice
    # the same search done in one go downloads exactly as many captures
    with Archive.open(tmp_path / "once") as once:
        ia.memento_requests.clear()
        run_history(history_job(once, ia, sample=None))
        assert len(ia.memento_requests) == len(set(downloads(ia))) == 4 + summary.downloaded


def test_an_every_capture_fetch_leaves_nothing_to_search(arc: Archive, ia: FakeIA) -> None:
    serve(ia, ["A"] * 5 + ["B"] * 5)
    run_fetch(FetchJob(arc, manual_session()[0], ArchiveEndpoint(ia.prefix, ArchiveKind.IA), URL))
    before = len(ia.memento_requests)
    summary = run_history(history_job(arc, ia))
    assert (summary.downloaded, summary.skipped, summary.changes, summary.open_windows) == (0, 10, 1, 0)
    assert len(ia.memento_requests) == before
    assert windows(arc)[1] == (ts(4), ts(5), True)


def test_progress_reads_as_a_sentence(arc: Archive, ia: FakeIA) -> None:
    serve(ia, ["A"] * 20 + ["B"] * 20)
    job = history_job(arc, ia)
    messages = [p.message for p in job.run()]
    assert messages[-1].startswith("1 change found, 0 windows narrowing, ")
    assert "of 40 captures downloaded" in messages[-1] and "nothing left to download" in messages[-1]
    assert any("1 window narrowing" in m and "left at the Internet Archive's pace" in m for m in messages)


@pytest.fixture
def simulated_time(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    clock = ManualClock()
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=clock))
    return clock


def cli(tmp_path: Path, ia: FakeIA, *args: str) -> list[str]:
    return ["--archive", str(tmp_path / "a"), *args, "--archive-url", ia.prefix, "--archive-kind", "ia"]


def test_fetch_command_json_reports_the_search_and_versions_show_windows(
    ia: FakeIA, tmp_path: Path, simulated_time: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(ia, ["A"] * 20 + ["B"] * 20)
    assert main(cli(tmp_path, ia, "fetch", URL, "--json", "--sample", "10d")) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert (out["listed"], out["changes"], out["open_windows"], out["reused"]) == (40, 1, 0, 0)
    assert 0 < out["downloaded"] < 15
    lines = [json.loads(line) for line in captured.err.splitlines()]
    assert lines[-1]["changes"] == 1 and lines[-1]["listed"] == 40 and "message" in lines[-1]
    assert main(["--archive", str(tmp_path / "a"), "versions", URL, "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)
    assert versions[0]["window"]["state"] == "first"
    assert versions[1]["window"] == {
        "from": ts(19),
        "to": ts(20),
        "exact": True,
        "state": "exact",
        "unknown_between": 0,
    }


def test_bisect_command_narrows_one_open_window(
    ia: FakeIA, tmp_path: Path, simulated_time: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(ia, ["A"] * 20 + ["B"] * 20)
    archive = ["--archive", str(tmp_path / "a")]
    # two captures only, as an every-capture fetch of a narrow date range would leave them
    for day in (0, 39):
        assert (
            main(cli(tmp_path, ia, "fetch", URL, "--every-capture", "--from", ts(day), "--to", ts(day))) == 0
        )
    capsys.readouterr()
    assert main([*archive, "versions", URL, "--json"]) == 0
    window = json.loads(capsys.readouterr().out)[1]["window"]
    assert (window["state"], window["unknown_between"]) == ("open", None)  # never listed between
    before = len(ia.memento_requests)
    assert main([*archive, "bisect", f"{URL}@{ts(0)}", f"{URL}@{ts(39)}", "--archive-kind", "ia"]) == 0
    out = capsys.readouterr().out
    assert "1 change, each between two adjacent captures" in out
    assert all(ts(0) < d < ts(39) for d in downloads(ia)[before:])
    assert main([*archive, "versions", URL, "--json"]) == 0
    window = json.loads(capsys.readouterr().out)[1]["window"]
    assert (window["from"], window["to"], window["state"]) == (ts(19), ts(20), "exact")


@pytest.mark.parametrize(
    "argv,message",
    [
        (["fetch", URL, "--sample", "soon"], "not a span of time"),
        (["fetch", URL, "--sample", "30d", "--every-capture"], "not allowed with argument"),
        (["bisect", URL, f"{URL}@2020"], "write URL@TIMESTAMP"),
    ],
)
def test_bad_history_arguments_are_refused_with_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["--archive", str(tmp_path / "a"), *argv])
    except SystemExit as exc:  # argparse refuses the option itself
        code = exc.code  # type: ignore[assignment]
    assert code == 2
    assert message in capsys.readouterr().err

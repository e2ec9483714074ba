"""The portfolio: `track` from a CSV, names and tags in `policies --json`, `update` digests against a
loopback archive whose listing grows between runs, and the review log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from client_support import FakeIA
from pytest_httpserver import HTTPServer

from archiver.cli import main
from archiver.client import pacer as pacer_module
from archiver.client.pacer import ManualClock, Pacer

A = "https://a.example/privacy"
B = "https://b.example/legal/privacy"


def page(words: str) -> bytes:
    return f"<html><head><title>Privacy</title></head><body><main><h1>Privacy policy</h1><p>{words}</p></main></body></html>".encode()


@pytest.fixture(autouse=True)
def simulated_time(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    clock = ManualClock()
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=clock))
    return clock


def run(capsys: pytest.CaptureFixture[str], archive: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--archive", str(archive), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_track_adds_good_rows_and_names_each_bad_one_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "vendors.csv"
    csv_file.write_text(
        "url,name,tags\n"
        f"{A},Vendor A,vendor; EU\n"
        "not a url at all,Broken,\n"
        "\n"
        f'{B},"Vendor B, Inc.","vendor,us"\n'
        ",No URL,x\n"
        "http://a.example/privacy/,Again,\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, tmp_path / "arc", "track", "--csv", str(csv_file))
    assert code == 1  # some rows were refused
    assert "line 3:" in err and "not a web page URL" in err
    assert "line 6: no url" in err
    assert "line 7: the same policy as line 2" in err
    assert "line 2" not in err.replace("as line 2", "")
    code, out, _ = run(capsys, tmp_path / "arc", "policies", "--json")
    listed = {p["url"]: p for p in json.loads(out)}
    assert set(listed) == {A, B}
    assert listed[A]["name"] == "Vendor A" and listed[A]["tags"] == ["eu", "vendor"]
    assert listed[B]["name"] == "Vendor B, Inc." and listed[B]["tags"] == ["us", "vendor"]
    code, out, _ = run(capsys, tmp_path / "arc", "policies", "--tag", "EU", "--json")
    assert [p["url"] for p in json.loads(out)] == [A]


def test_track_refuses_a_file_without_a_url_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "v.csv"
    csv_file.write_text("address,name\nhttps://x.example/p,X\n", encoding="utf-8")
    code, _, err = run(capsys, tmp_path / "arc", "track", "--csv", str(csv_file))
    assert code == 2 and "no 'url' column" in err and "Traceback" not in err
    code, out, _ = run(capsys, tmp_path / "arc", "policies", "--json")
    assert json.loads(out) == []


def test_edit_sets_name_tags_and_note_and_empty_name_falls_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arc = tmp_path / "arc"
    csv_file = tmp_path / "v.csv"
    csv_file.write_text(f"url\n{A}\n", encoding="utf-8")
    assert run(capsys, arc, "track", "--csv", str(csv_file))[0] == 0
    code, out, _ = run(capsys, arc, "edit", A, "--name", "Acme", "--tags", "b;a", "--note", "main vendor")
    assert code == 0 and "Acme" in out
    policy = json.loads(run(capsys, arc, "policies", "--json")[1])[0]
    assert (policy["name"], policy["tags"], policy["note"]) == ("Acme", ["a", "b"], "main vendor")
    run(capsys, arc, "edit", A, "--name", "")
    policy = json.loads(run(capsys, arc, "policies", "--json")[1])[0]
    assert policy["name"] == "a.example/privacy"  # no capture yet: no title, so the host and path


def test_update_twice_reports_exactly_the_new_changes(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ia = FakeIA(httpserver)
    ia.add("20200101000000", A, page("We collect your email."), digest="A1")
    ia.add("20200301000000", A, page("We collect your email and phone."), digest="A2")
    ia.add("20200101000000", B, page("We sell nothing."), digest="B1")
    arc = tmp_path / "arc"
    csv_file = tmp_path / "v.csv"
    csv_file.write_text(f"url,name,tags\n{A},Vendor A,eu\n{B},Vendor B,us\n", encoding="utf-8")
    run(capsys, arc, "track", "--csv", str(csv_file))

    code, out, err = run(capsys, arc, "update", "--archive-url", ia.prefix, "--archive-kind", "ia", "--json")
    assert code == 1, err  # something changed
    digest = json.loads(out)
    changes = {p["url"]: [c["timestamp"] for c in p["changes"]] for p in digest["policies"]}
    assert changes == {A: ["20200301000000"], B: []}
    first = next(p for p in digest["policies"] if p["url"] == A)["changes"][0]
    assert first["window"] == {"last_before": "20200101000000", "first_with": "20200301000000"}

    code, out, err = run(capsys, arc, "update", "--archive-url", ia.prefix, "--archive-kind", "ia")
    assert code == 0, err
    assert "No changes in 2 policies" in out

    # the listings grow: B changes, A gets a capture with the same text
    ia.add("20200401000000", A, page("We collect your email and phone."), digest="A2")
    ia.add("20200501000000", B, page("We sell your data."), digest="B2")
    html = tmp_path / "digest.html"
    code, out, err = run(
        capsys, arc, "update", "--archive-url", ia.prefix, "--archive-kind", "ia", "--html", str(html)
    )
    assert code == 1, err
    assert "1 of 2 policies changed" in out and "Vendor B" in out and "Vendor A" not in out
    assert "2020-01-01 00:00:00 and 2020-05-01 00:00:00" in out
    page_html = html.read_text(encoding="utf-8")
    assert "Vendor B" in page_html and "Vendor A" not in page_html

    # --tag selects; an unknown tag is an error, not "nothing changed"
    code, out, _ = run(
        capsys, arc, "update", "--archive-url", ia.prefix, "--archive-kind", "ia", "--tag", "eu", "--json"
    )
    assert code == 0 and [p["url"] for p in json.loads(out)["policies"]] == [A]
    code, _, err = run(
        capsys, arc, "update", "--archive-url", ia.prefix, "--archive-kind", "ia", "--tag", "nope"
    )
    assert code == 2 and "no policy has the tag 'nope'" in err  # not 1: that says "changed"


def test_update_says_which_policy_failed_and_exits_2(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ia = FakeIA(httpserver)
    ia.add("20200101000000", A, page("Text."), digest="A1")
    arc = tmp_path / "arc"
    csv_file = tmp_path / "v.csv"
    csv_file.write_text(f"url\n{A}\n", encoding="utf-8")
    run(capsys, arc, "track", "--csv", str(csv_file))
    dead = "http://127.0.0.1:9/web/"  # the discard port: nothing listens
    code, out, err = run(capsys, arc, "update", "--archive-url", dead, "--archive-kind", "ia", "--json")
    assert code == 2
    entry = json.loads(out)["policies"][0]
    assert entry["url"] == A and entry["error"]


def test_review_lists_unreviewed_changes_and_marks_them_with_a_log(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ia = FakeIA(httpserver)
    ia.add("20200101000000", A, page("One."), digest="1")
    ia.add("20200201000000", A, page("Two."), digest="2")
    ia.add("20200301000000", A, page("Three."), digest="3")
    arc = tmp_path / "arc"
    code, _, err = run(capsys, arc, "fetch", A, "--archive-url", ia.prefix, "--archive-kind", "ia")
    assert code == 0, err
    code, out, err = run(capsys, arc, "review", "--json")
    assert code == 0, err
    pending = json.loads(out)
    assert [(c["baseline"], c["timestamp"]) for c in pending] == [
        ("20200101000000", "20200201000000"),
        ("20200201000000", "20200301000000"),
    ]
    code, out, err = run(
        capsys, arc, "review", "--done", f"{A}@20200201", "--note", "new field", "--reviewer", "Ana"
    )
    assert code == 0, err
    assert "by Ana" in out
    pending = json.loads(run(capsys, arc, "review", "--json")[1])
    assert [c["timestamp"] for c in pending] == ["20200301000000"]
    log = json.loads(run(capsys, arc, "review", "--log", "--json")[1])
    assert len(log) == 1 and log[0]["reviewer"] == "Ana" and log[0]["note"] == "new field"
    assert log[0]["timestamp"] == "20200201000000" and log[0]["baseline"] == "20200101000000"
    # the first version is no change: nothing to review, said plainly
    code, _, err = run(capsys, arc, "review", "--done", f"{A}@20200101")
    assert code == 2 and "not a change" in err
    policy = json.loads(run(capsys, arc, "policies", "--json")[1])[0]
    assert policy["unreviewed"] == 1 and policy["name"] == "Privacy"  # the page title


def test_schedule_install_writes_this_platforms_entry_in_the_home_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    arc = tmp_path / "my archive"
    code, out, err = run(capsys, arc, "schedule", "--every", "weekly", "--tag", "eu", "--install")
    assert code == 0, err
    if sys.platform.startswith("linux"):
        units = home / ".config" / "systemd" / "user"
        service = (units / "policydiff-update.service").read_text()
        timer = (units / "policydiff-update.timer").read_text()
        assert f'"--archive" "{arc.resolve()}" "update" "--tag" "eu"' in service
        assert "SuccessExitStatus=1" in service  # exit 1 means "something changed"
        assert "OnCalendar=weekly" in timer and "WantedBy=timers.target" in timer
        assert (
            "systemctl --user daemon-reload && systemctl --user enable --now policydiff-update.timer" in out
        )
    elif sys.platform == "darwin":
        plist = (home / "Library" / "LaunchAgents" / "org.policydiff.update.plist").read_text()
        assert "<integer>604800</integer>" in plist and "<string>eu</string>" in plist
    # another platform's entry, printed only
    code, out, _ = run(capsys, arc, "schedule", "--platform", "cron")
    assert code == 0 and out.splitlines()[-1].startswith("17 6 * * * ")
    assert f"--archive '{arc.resolve()}' update" in out


def test_the_review_log_and_tags_go_into_exports_and_the_evidence_report(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    ia = FakeIA(httpserver)
    ia.add("20200101000000", A, page("One."), digest="1")
    ia.add("20200201000000", A, page("Two."), digest="2")
    arc = tmp_path / "arc"
    assert run(capsys, arc, "fetch", A, "--archive-url", ia.prefix, "--archive-kind", "ia")[0] == 0
    run(capsys, arc, "edit", A, "--name", "=Acme", "--tags", "vendor;eu")
    run(capsys, arc, "review", "--done", f"{A}@20200201", "--reviewer", "Ana", "--note", "wording only")
    out_dir = tmp_path / "out"
    code, _, err = run(
        capsys, arc, "export", A, "--jsonl", str(out_dir / "v.jsonl"), "--csv", str(out_dir / "v.csv")
    )
    assert code == 0, err
    rows = [json.loads(line) for line in (out_dir / "v.jsonl").read_text().splitlines()]
    assert [r["reviews"] for r in rows][0] == []
    assert [(x["reviewer"], x["note"]) for x in rows[1]["reviews"]] == [("Ana", "wording only")]
    assert rows[1]["policy_name"] == "=Acme" and rows[1]["policy_tags"] == ["eu", "vendor"]
    with (out_dir / "v.csv").open(newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert table[1]["reviews"].startswith("Ana ") and table[1]["reviews"].endswith(": wording only")
    assert table[1]["policy_tags"] == "eu;vendor" and table[1]["policy_name"] == "'=Acme"  # no formula
    report = tmp_path / "r.html"
    code, _, err = run(capsys, arc, "report", f"{A}@20200101", f"{A}@20200201", "--html", str(report))
    assert code == 0, err
    text = report.read_text(encoding="utf-8")
    assert "Reviews of this change" in text and "wording only" in text and "Ana" in text


def test_remove_takes_a_policy_off_the_list_and_keeps_its_captures_verified(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ia = FakeIA(httpserver)
    ia.add("20200101000000", A, page("One."), digest="1")
    ia.add("20200201000000", A, page("Two."), digest="2")
    arc = tmp_path / "arc"
    fetch = ("fetch", A, "--archive-url", ia.prefix, "--archive-kind", "ia")
    assert run(capsys, arc, *fetch)[0] == 0
    code, out, _ = run(capsys, arc, "remove", A)
    assert code == 0 and "2 captures stay in the archive" in out
    assert json.loads(run(capsys, arc, "policies", "--json")[1]) == []
    code, out, err = run(capsys, arc, "verify", "--json")
    assert code == 0, err
    assert json.loads(out)["ledger"]["entries"] == 2  # nothing was deleted from the ledger
    assert run(capsys, arc, *fetch)[0] == 0  # asked for again: back, with its history
    (policy,) = json.loads(run(capsys, arc, "policies", "--json")[1])
    assert policy["url"] == A and policy["captures"] == 2


def test_update_merges_two_archives_and_says_where_they_disagree(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    other = HTTPServer()
    other.start()
    try:
        ia, library = FakeIA(httpserver), FakeIA(other)
        ia.add("20230101080000", A, page("We keep data for one year."), digest="1")
        ia.add("20230301080000", A, page("We keep data for one year."), digest="1")
        library.add("20230301170000", A, page("We keep data for two years."), digest="2")  # same day
        library.add("20230601080000", A, page("We keep data for two years."), digest="2")
        arc = tmp_path / "arc"
        csv_file = tmp_path / "v.csv"
        csv_file.write_text(f"url\n{A}\n", encoding="utf-8")
        run(capsys, arc, "track", "--csv", str(csv_file))
        argv = ["update", "--archive-url", ia.prefix, "--archive-url", library.prefix, "--archive-kind", "ia"]
        code, out, err = run(capsys, arc, *argv, "--json")
        assert code == 1, err
        code, out, err = run(capsys, arc, "versions", A, "--json")
        versions = json.loads(out)
        assert [(v["timestamp"], "archives-disagree" in v["flags"]) for v in versions] == [
            ("20230101080000", True),
            ("20230301170000", True),
        ]
        sources = {c["timestamp"]: c["archive"] for v in versions for c in v["captures"]}
        assert sources["20230301080000"] == ia.prefix and sources["20230301170000"] == library.prefix
    finally:
        other.clear()
        other.stop()


def test_update_asks_the_archive_each_policy_came_from(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    library = FakeIA(httpserver)  # not the Wayback Machine: an institution's own archive
    library.add("20230101080000", A, page("Old words."), digest="1")
    arc = tmp_path / "arc"
    assert run(capsys, arc, "fetch", A, "--archive-url", library.prefix, "--archive-kind", "ia")[0] == 0
    assert run(capsys, arc, "update", "--archive-kind", "ia")[0] == 0  # first run: nothing new yet
    library.add("20230201080000", A, page("New words."), digest="2")
    code, out, err = run(capsys, arc, "update", "--archive-kind", "ia", "--json")
    assert code == 1, err
    (entry,) = json.loads(out)["policies"]
    assert [c["timestamp"] for c in entry["changes"]] == ["20230201080000"]
    assert library.cdx_requests >= 3  # asked there, never the Wayback Machine (no network here)


def test_the_policy_list_reads_changes_as_the_versions_have_them(tmp_path: Path) -> None:
    """The list's quick reading (one query, no texts) gives the changes the versions give: an error
    page is no change and no baseline, a layout-only difference is no version."""
    from archiver.models import Capture, Extraction, Flag, Source
    from archiver.portfolio import Portfolio
    from archiver.storage import Archive, text_sha256

    def store(arc: Archive, ts: str, text: str, flags: tuple[str, ...] = ()) -> None:
        policy = arc.ensure_policy(A)
        capture = Capture(id=0, policy_id=0, source=Source.FILE, timestamp=ts, original_url=A)
        words = len(text.split())
        arc.add_capture(
            policy,
            capture,
            text.encode(),
            Extraction(
                text=text, text_sha256=text_sha256(text), extractor_version="t", words=words, flags=flags
            ),
        )

    with Archive.open(tmp_path / "arc") as arc:
        store(arc, "20200101000000", "404 Not Found", (Flag.ERROR_PAGE.value,))  # before any text
        store(arc, "20200201000000", "We keep your email.")
        store(arc, "20200301000000", "We keep  your\nemail.")  # layout only: the same version
        store(arc, "20200401000000", "Service unavailable", (Flag.ERROR_PAGE.value,))
        store(arc, "20200501000000", "We keep your email and phone.")
        store(arc, "20200601000000", "We keep your phone.")
        portfolio = Portfolio(arc)
        policy = arc.get_policy(A)
        quick = [s.timestamp for s in portfolio.change_starts()[policy.id]]
        full = [c.timestamp for c in portfolio.changes(policy)]
        assert quick == full == ["20200501000000", "20200601000000"]
        (info,) = portfolio.infos()
        assert (info.last_change, info.unreviewed) == ("20200601000000", 2)

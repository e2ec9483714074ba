"""The user's work survives a lost database: curation.jsonl is written as it is made, caught up
after a crash, started for an archive made before it, and replayed by `policydiff recover`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from archiver.attached import attach, attachments
from archiver.cli import main
from archiver.models import Capture, ExtractionRule, Source
from archiver.notes import Notes, NoteState
from archiver.pllc import format_pllc
from archiver.portfolio import Portfolio
from archiver.storage import Archive

URL = "https://shop.example/privacy"
GONE = "https://gone.example/privacy"  # removed from the list
BACK = "https://back.example/privacy"  # removed, then imported again: back in the list
LATER = "https://later.example/privacy"  # tracked, never fetched
CORPUS = "https://corpus.example/privacy"  # a text-only corpus capture, raw bytes attached later
WAYBACK = "https://web.archive.org/web/"
MEMENTO = b"<html><body><main><h1>Privacy</h1><p>We keep your data for 30 days.</p></main></body></html>"
PARAS = (
    "We collect the email address and the name you give us when you create an account.",
    "We never sell your personal data to anyone, and we share it only with our payment processor.",
)


def page(days: int) -> str:
    body = "".join(f"<p>{p}</p>" for p in (f"We keep your order history for {days} days.", *PARAS))
    return (
        "<html><head><title>Privacy</title></head><body><nav>Menu Home Careers Press Investors</nav>"
        f"<main><h1>Privacy policy</h1>{body}</main></body></html>"
    )


def run(capsys: pytest.CaptureFixture[str], arc: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--archive", str(arc), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], arc: Path, *argv: str) -> str:
    code, out, err = run(capsys, arc, *argv)
    assert code == 0, out + err
    return out


def lose_database(arc: Path) -> None:
    for name in ("archive.sqlite3", "archive.sqlite3-wal", "archive.sqlite3-shm"):
        (arc / name).unlink(missing_ok=True)


def journal(arc: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (arc / "curation.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def arc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """An archive with every kind of user work, made through the commands (and, for an attached
    body, the function a fetch calls)."""
    arc = tmp_path / "arc"
    for ts, days in (("20200101000000", 30), ("20210101000000", 60)):
        path = tmp_path / f"{ts}.html"
        path.write_text(page(days), encoding="utf-8")
        ok(capsys, arc, "import", str(path), "--url", URL, "--date", ts)
    for url in (GONE, BACK):
        path = tmp_path / "other.html"
        path.write_text(page(7), encoding="utf-8")
        ok(capsys, arc, "import", str(path), "--url", url, "--date", "20220101000000")
    ok(capsys, arc, "rules", URL, "--remove", "nav")
    ok(capsys, arc, "rules", URL, "--select", "main")  # replaces the rule from the same date
    ok(capsys, arc, "edit", URL, "--name", "Shop", "--tags", "vendor; eu; draft", "--note", "first")
    ok(capsys, arc, "edit", URL, "--tags", "vendor; eu", "--note", "Check every quarter")
    ok(capsys, arc, "review", "--done", f"{URL}@2021", "--reviewer", "alice", "--note", "retention doubled")
    ok(capsys, arc, "notes", f"{URL}@2021", "--add", "never sell", "--text", "ask legal", "--author", "bob")
    ok(capsys, arc, "remove", GONE)
    ok(capsys, arc, "remove", BACK)
    ok(capsys, arc, "import", str(tmp_path / "other.html"), "--url", BACK, "--date", "20230101000000")
    csv = tmp_path / "track.csv"
    csv.write_text(f"url,name,tags\n{LATER},Later Inc,pending\n", encoding="utf-8")
    ok(capsys, arc, "track", "--csv", str(csv))
    doc = tmp_path / "corpus.md"
    doc.write_text(format_pllc(CORPUS, "20200101000000", "# Privacy\n\nWe keep your data for 30 days.\n"))
    ok(capsys, arc, "import", str(doc))
    with Archive.open(arc) as archive:
        policy = archive.get_policy(CORPUS)
        [target] = archive.captures(policy.id)
        fetched = Capture(
            0,
            policy.id,
            Source.WAYBACK,
            "20200101000000",
            CORPUS,
            archive=WAYBACK,
            memento_url=f"{WAYBACK}20200101000000id_/{CORPUS}",
            retrieved_at="2024-05-01T10:00:00Z",
            http_status=200,
            content_type="text/html",
        )
        attach(archive, policy, target, fetched, MEMENTO)
    return arc


def test_every_kind_of_user_work_comes_back_after_the_database_is_lost(
    arc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Archive.open(arc) as archive:
        texts = [archive.text(v.text_sha256) for v in archive.versions(archive.get_policy(URL).id)]
        head = archive.ledger_head()
    assert all("Menu" not in t and "order history" in t for t in texts)  # the rule is in force
    lose_database(arc)

    code, out, err = run(capsys, arc, "recover")
    assert code == 0, out + err
    assert "restored 6 captures (6 with their text)" in err
    assert (
        "restored the user's work from curation.jsonl: policies named 3, with rules 1, tagged 2, "
        "with a note 1, removed 1; 1 reviews, 1 paragraph notes, 1 attached bodies"
    ) in err

    with Archive.open(arc) as archive:
        assert archive.ledger_head() == head
        shop = archive.get_policy(URL)
        assert shop.label == "Shop"
        assert shop.rules == (ExtractionRule("", ("main",), ()),)
        # the texts were extracted again with the restored rule, not the page's whole body
        assert [archive.text(v.text_sha256) for v in archive.versions(shop.id)] == texts
        portfolio = Portfolio(archive)
        later = archive.get_policy(LATER)
        assert portfolio.tags() == {shop.id: ("eu", "vendor"), later.id: ("pending",)}
        assert portfolio.notes() == {shop.id: "Check every quarter"}
        assert later.label == "Later Inc" and later.captures == 0
        [review] = portfolio.reviews(shop)
        assert (review.version_timestamp, review.baseline_timestamp) == ("20210101000000", "20200101000000")
        assert (review.reviewer, review.note) == ("alice", "retention doubled")
        assert portfolio.unreviewed([shop]) == []  # the review still holds for the text re-extracted
        listed = {p.url for p in archive.policies()}
        assert listed == {URL, BACK, LATER, CORPUS}  # GONE stays off the list
        assert archive.find_policy(GONE) is not None  # ...with its capture kept
        latest = archive.versions(shop.id)[-1]
        [placed] = Notes(archive).in_version(shop, latest)
        assert (placed.note.note, placed.note.author, placed.state) == ("ask legal", "bob", NoteState.SAME)
        assert placed.paragraph == PARAS[1]
        corpus = archive.get_policy(CORPUS)
        [capture] = archive.captures(corpus.id)
        body = attachments(archive, [capture])[capture.id]
        assert body.sha256 == hashlib.sha256(MEMENTO).hexdigest() and body.size == len(MEMENTO)
        assert body.memento_url == f"{WAYBACK}20200101000000id_/{CORPUS}"
        assert body.retrieved_at == "2024-05-01T10:00:00Z" and body.agrees is True
        assert archive.verify() == []  # the attached raw file is named again: no orphan

    # a second loss: the journal was kept in step by the first recover, and recovers as well
    before = journal(arc)
    lose_database(arc)
    code, _, err = run(capsys, arc, "recover")
    assert code == 0 and journal(arc) == before
    with Archive.open(arc) as archive:
        assert Portfolio(archive).notes() == {archive.get_policy(URL).id: "Check every quarter"}


def test_an_attached_body_whose_raw_file_is_gone_is_listed_and_the_rest_restored(
    arc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sha = hashlib.sha256(MEMENTO).hexdigest()
    lose_database(arc)
    (arc / "blobs" / sha[:2] / sha).unlink()
    code, out, err = run(capsys, arc, "recover")
    assert code == 1
    assert f"LOST     attached raw file of {CORPUS} @ 20200101000000: blobs/{sha[:2]}/{sha} is gone" in out
    assert "with a note 1" in err and "0 attached bodies" in err
    with Archive.open(arc) as archive:
        corpus = archive.get_policy(CORPUS)
        assert attachments(archive, archive.captures(corpus.id)) == {}
        assert archive.get_policy(URL).rules == (ExtractionRule("", ("main",), ()),)


def test_each_change_is_one_journal_line_naming_its_policy_by_url(arc: Path) -> None:
    lines = journal(arc)
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert [(line["kind"], line["policy"]["url"]) for line in lines] == [  # type: ignore[index]
        ("rules", URL),
        ("rules", URL),
        ("label", URL),
        ("tags", URL),
        ("note", URL),
        ("tags", URL),
        ("note", URL),
        ("review", URL),
        ("paragraph_note", URL),
        ("removed", GONE),
        ("removed", BACK),
        ("restored", BACK),
        ("tracked", LATER),
        ("tags", LATER),
        ("attached", CORPUS),
    ]
    assert lines[1]["data"] == {"rules": [{"valid_from": "", "select": ["main"], "remove": []}]}
    assert lines[5]["data"] == {"tags": ["eu", "vendor"]}


def test_a_crash_between_the_commit_and_the_journal_is_caught_up_on_the_next_open(
    arc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Archive.open(arc) as archive:
        Portfolio(archive).set_note(archive.get_policy(URL), "after the crash")
    path = arc / "curation.jsonl"
    whole = path.read_bytes()
    last = whole.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    # the process died while appending: the line is cut short (the change is committed in SQLite)
    path.write_bytes(whole[: len(whole) - len(last) - 1] + last[:20])
    with Archive.open(arc):
        pass
    assert path.read_bytes() == whole  # the torn line cut off and written again, once

    # and died before appending at all: a change made without the journal
    with Archive.open(arc) as archive:
        Portfolio(archive).set_tags(archive.get_policy(URL), ["audited"])
    path.write_bytes(whole)
    with Archive.open(arc):
        pass
    assert journal(arc)[-1]["data"] == {"tags": ["audited"]}
    lose_database(arc)
    ok(capsys, arc, "recover")
    with Archive.open(arc) as archive:
        shop = archive.get_policy(URL)
        assert Portfolio(archive).tags()[shop.id] == ("audited",)
        assert Portfolio(archive).notes() == {shop.id: "after the crash"}


def _make_old(arc: Path) -> None:
    """The archive as a version before the curation journal left it: schema 6, no journal."""
    conn = sqlite3.connect(arc / "archive.sqlite3")
    conn.execute("DROP TABLE curation_log")
    conn.execute("PRAGMA user_version = 6")
    conn.commit()
    conn.close()
    (arc / "curation.jsonl").unlink()


def test_an_archive_from_before_the_journal_starts_it_from_what_the_database_holds(
    arc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _make_old(arc)
    with Archive.open(arc):
        pass
    lines = journal(arc)
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert sorted((str(line["kind"]), line["policy"]["url"]) for line in lines) == [  # type: ignore[index]
        ("attached", CORPUS),
        ("label", CORPUS),  # the name a corpus file gave it: logged too, as the database holds it
        ("label", URL),
        ("note", URL),
        ("paragraph_note", URL),
        ("removed", GONE),
        ("review", URL),
        ("rules", URL),
        ("tags", LATER),
        ("tags", URL),
        ("tracked", LATER),
    ]
    lose_database(arc)
    code, out, err = run(capsys, arc, "recover")
    assert code == 0, out + err
    assert "policies named 3, with rules 1, tagged 2, with a note 1, removed 1;" in err
    with Archive.open(arc) as archive:
        shop = archive.get_policy(URL)
        assert (shop.label, shop.rules) == ("Shop", (ExtractionRule("", ("main",), ()),))
        assert [r.reviewer for r in Portfolio(archive).reviews(shop)] == ["alice"]
        assert archive.get_policy(LATER).label == "Later Inc"


def test_an_archive_from_before_the_journal_recovers_as_before(
    arc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _make_old(arc)
    lose_database(arc)
    code, out, err = run(capsys, arc, "recover")
    sha = hashlib.sha256(MEMENTO).hexdigest()
    assert code == 1 and out == f"ORPHAN   raw file blobs/{sha[:2]}/{sha}: no ledger entry names it (kept)\n"
    assert "restored 6 captures (6 with their text)" in err
    assert "no curation journal (curation.jsonl): names, rules, tags and notes were not restored" in err
    with Archive.open(arc) as archive:
        assert archive.get_policy(URL).rules == ()
        assert Portfolio(archive).tags() == {}

"""Search across every version of every policy (archiver/index, `policydiff search`).

Real captures from tests/data/corpus (see its README): the five GitHub privacy statements
(2023-04-25, 2023-05-01 with the same text, 2023-10-13, 2024-02-03, 2025-09-16) and two of Heloa's
French policy. Which captures hold a passage was read off the raw HTML with grep, not with the code
under test: "Government Enforcement" and "arbitration" are in the 2023-10-13 capture and every later
one, "if you would like to compile GitHub data" in every capture up to 2023-10-13 and none after.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.extraction import from_markdown
from archiver.index import fts
from archiver.index.search import SearchQueryError, search
from archiver.models import Capture, Source
from archiver.pipeline import import_paths
from archiver.storage import Archive

DATA = Path(__file__).resolve().parents[1] / "data" / "corpus"
GITHUB = "https://docs.github.com/en/site-policy/privacy-policies/github-privacy-statement"
HELOA = "https://heloa.app/politique-de-confidentialite"
GH_STAMPS = ("20230425183000", "20230501183000", "20231013183001", "20240203003002", "20250916003008")
HELOA_STAMPS = ("20250718003012", "20250927003036")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portfolio")
    with Archive.open(root) as archive:
        for url, folder, stamps in (
            (GITHUB, "github-privacy", GH_STAMPS),
            (HELOA, "heloa-privacy-fr", HELOA_STAMPS),
        ):
            for ts in stamps:
                [result] = import_paths(archive, [str(DATA / folder / f"{ts}.html")], url=url, date=ts)
                assert result.capture is not None and not result.warning
    return root


def _search_json(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["--archive", str(root), "search", *args, "--json"]) == 0
    return list(json.loads(capsys.readouterr().out))


def test_first_appeared_and_last_seen_of_a_paragraph_added_later(
    portfolio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [hit] = _search_json(portfolio, capsys, '"Government Enforcement"')
    assert hit["url"] == GITHUB
    assert hit["first_appeared"] == "20231013183001"
    assert hit["absent_before"] == "20230501183000"  # the window: last capture without it
    assert hit["last_seen"] == "20250916003008" and hit["absent_after"] is None and hit["still_present"]
    assert [v["timestamp"] for v in hit["versions"]] == ["20231013183001", "20240203003002", "20250916003008"]  # type: ignore[index]
    assert "Government Enforcement" in str(hit["paragraph"])


def test_first_appeared_and_last_seen_of_a_paragraph_removed(
    portfolio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [hit] = _search_json(portfolio, capsys, '"if you would like to compile GitHub data"')
    assert hit["first_appeared"] == "20230425183000" and hit["absent_before"] is None
    assert hit["last_seen"] == "20231013183001"
    assert hit["absent_after"] == "20240203003002" and not hit["still_present"]
    versions = hit["versions"]
    assert isinstance(versions, list)
    # the first version is two captures with one text: it runs from the first to the second
    assert [(v["timestamp"], v["last_timestamp"]) for v in versions] == [
        ("20230425183000", "20230501183000"),
        ("20231013183001", "20231013183001"),
    ]
    for v in versions:
        assert "compile GitHub data" in v["paragraph"]
        assert isinstance(v["block"], int)


def test_a_phrase_matches_its_words_in_order_only(portfolio: Path) -> None:
    with Archive.open(portfolio) as archive:
        assert [m.url for m in search(archive, '"compile GitHub data"')] == [GITHUB]
        assert search(archive, '"data GitHub compile"') == []
        # the same words anywhere in one paragraph
        assert [m.url for m in search(archive, "data GitHub compile")] == [GITHUB]


def test_a_prefix_query_matches_word_starts(portfolio: Path) -> None:
    with Archive.open(portfolio) as archive:
        assert search(archive, "arbitrati") == []  # no such word
        [hit] = search(archive, "arbitrati*")
    assert hit.url == GITHUB
    assert hit.first_appeared == "20231013183001" and hit.absent_before == "20230501183000"
    assert "arbitra" in hit.paragraph.lower()


@pytest.mark.parametrize("query", ["donnees personnelles", '"DONNEES PERSONNELLES"', "DONNÉES", "dônnées"])
def test_case_and_diacritics_are_folded(portfolio: Path, query: str) -> None:
    with Archive.open(portfolio) as archive:
        [hit] = search(archive, query)
    assert hit.url == HELOA
    assert hit.first_appeared == "20250718003012" and hit.absent_before is None
    assert hit.last_seen == "20250927003036" and hit.absent_after is None
    assert "données" in hit.paragraph.lower()


def test_policy_option_restricts_the_search(portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    both = _search_json(portfolio, capsys, "privacy OR confidentialité")
    assert sorted(str(h["url"]) for h in both) == sorted([GITHUB, HELOA])
    only = _search_json(
        portfolio, capsys, "privacy OR confidentialité", "--policy", "heloa.app/politique-de-confidentialite"
    )
    assert [h["url"] for h in only] == [HELOA]


@pytest.mark.parametrize("query", ["opt-out", '"unbalanced', "AND privacy", "   "])
def test_bad_query_syntax_is_a_usage_error(
    portfolio: Path, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    assert main(["--archive", str(portfolio), "search", query]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policydiff: cannot search for") and "Traceback" not in err
    assert '"a phrase" in double quotes' in err
    with Archive.open(portfolio) as archive, pytest.raises(SearchQueryError):
        search(archive, query)


def test_text_output_names_the_windows(portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--archive", str(portfolio), "search", '"compile GitHub data"']) == 0
    out = capsys.readouterr().out
    assert "first appeared 2023-04-25 18:30:00 (in the first capture)" in out
    assert "last seen      2023-10-13 18:30:01 (gone in 2024-02-03 00:30:02)" in out
    assert "in 2 of 4 versions" in out


def _text_capture(url: str, ts: str) -> Capture:
    return Capture(
        id=0, policy_id=0, source=Source.FILE, timestamp=ts, original_url=url, content_type="text/markdown"
    )


def test_a_stored_capture_is_searchable_at_once(tmp_path: Path) -> None:
    """Indexed in the transaction that stores the text: no catch-up needed."""
    with Archive.open(tmp_path) as archive:
        policy = archive.ensure_policy("https://example.com/privacy")
        text = (DATA / "tinder-privacy" / "20240531183348.ref.md").read_text("utf-8")
        archive.add_capture(policy, _text_capture(policy.url, "20240531183348"), None, from_markdown(text))
        assert archive.query(fts.MISSING_SQL) == []
        [hit] = search(archive, "biometric*")
        assert hit.first_appeared == "20240531183348"


# --- crash safety --------------------------------------------------------------------------------

BACKLOG = 240  # texts to index: long enough to be killed half-way on any machine


def _backlog_archive(root: Path) -> list[str]:
    """An archive made before the index: BACKLOG texts (real policy paragraphs, each text's own),
    none indexed. Returns a phrase only the last text holds."""
    bases = [
        (DATA / folder / f"{ts}.ref.md").read_text("utf-8")
        for folder, ts in (("github-privacy", "20230425183000"), ("tinder-privacy", "20220407003230"))
    ]
    with Archive.open(root) as archive:
        policy = archive.ensure_policy("https://example.com/privacy")
        for n in range(BACKLOG):
            paras = [p for p in bases[n % 2].split("\n\n") if p.strip()]
            text = "\n\n".join(f"{p} Revision {n} clause {i}." for i, p in enumerate(paras)) + "\n"
            ts = f"{2000 + n // 12:04d}{n % 12 + 1:02d}01000000"
            archive.add_capture(policy, _text_capture(policy.url, ts), None, from_markdown(text))
    with sqlite3.connect(root / "archive.sqlite3") as db:  # as migration 3 leaves an older archive
        fts.clear(db)
    return [f'"Revision {BACKLOG - 1} clause 3"', '"Revision 0 clause 3"']


def _revision(text: str) -> int:
    """Which of _backlog_archive's texts ``text`` is."""
    match = re.search(r"Revision (\d+) clause", text)
    assert match is not None
    return int(match.group(1))


def _indexed(root: Path) -> int:
    with closing(sqlite3.connect(root / "archive.sqlite3", timeout=30)) as db:
        return int(db.execute("SELECT COUNT(*) FROM search_texts").fetchone()[0])


def test_the_index_survives_kill_9_while_indexing_and_reextract_completes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _backlog_archive(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "archiver", "--archive", str(tmp_path), "search", "privacy"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while (
            _indexed(tmp_path) < 2 * fts.BATCH_TEXTS and proc.poll() is None and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = _indexed(tmp_path)
    assert 0 < done < BACKLOG, "the kill was meant to land while indexing"

    with sqlite3.connect(tmp_path / "archive.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert fts.healthy(db)
        # every text marked indexed has all its paragraphs, and no other text has any: a batch of
        # texts is indexed whole or not at all
        held: dict[int, int] = {}
        for (postings,) in db.execute("SELECT postings FROM search_paragraphs"):
            for text_id in fts.unpack(postings)[0::2]:
                held[text_id] = held.get(text_id, 0) + 1
        marked = db.execute("SELECT id, text_sha256 FROM search_texts").fetchall()
        assert sorted(held) == sorted(text_id for text_id, _ in marked)
        for text_id, sha in marked:
            text = db.execute("SELECT text FROM texts WHERE sha256 = ?", (sha,)).fetchone()[0]
            assert held[text_id] == len(list(fts.paragraphs(text)))
        # a phrase of a text indexed before the kill, and one of a text left for later (texts are
        # indexed in the order SQLite lists them, which follows their sha256, not their time)
        indexed_text = db.execute(
            "SELECT text FROM texts WHERE sha256 IN (SELECT text_sha256 FROM search_texts) LIMIT 1"
        ).fetchone()[0]
        waiting_text = db.execute(
            "SELECT text FROM texts WHERE sha256 NOT IN (SELECT text_sha256 FROM search_texts) LIMIT 1"
        ).fetchone()[0]
    indexed, waiting = _revision(indexed_text), _revision(waiting_text)
    indexed_phrase, last_phrase = f'"Revision {indexed} clause 3"', f'"Revision {waiting} clause 3"'
    with Archive.open(tmp_path) as archive:  # what was indexed is searchable; the rest is not yet
        assert len(search(archive, indexed_phrase)) == 1
        assert search(archive, last_phrase) == []

    assert main(["--archive", str(tmp_path), "reextract"]) == 0
    capsys.readouterr()
    assert _indexed(tmp_path) == BACKLOG
    with Archive.open(tmp_path) as archive:
        [hit] = search(archive, last_phrase)
        assert (
            hit.first_appeared == hit.last_seen == f"{2000 + waiting // 12:04d}{waiting % 12 + 1:02d}01000000"
        )


def test_reextract_rebuilds_a_damaged_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Archive.open(tmp_path) as archive:
        policy = archive.ensure_policy(GITHUB)
        text = (DATA / "github-privacy" / "20231013183001.ref.md").read_text("utf-8")
        archive.add_capture(policy, _text_capture(GITHUB, "20231013183001"), None, from_markdown(text))
    with sqlite3.connect(tmp_path / "archive.sqlite3") as db:  # the index no longer matches its text
        db.execute("UPDATE search_fts_content SET c0 = 'something else' WHERE id = 5")
        assert not fts.healthy(db)
    assert main(["--archive", str(tmp_path), "reextract"]) == 0
    capsys.readouterr()
    with Archive.open(tmp_path) as archive:
        with archive.transaction() as conn:  # FTS5 checks through an INSERT
            assert fts.healthy(conn)
        [hit] = search(archive, '"Government Enforcement"')
        assert hit.first_appeared == "20231013183001"


def test_an_archive_copied_elsewhere_keeps_its_index(portfolio: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(portfolio, copy)
    with Archive.open(copy) as archive:
        assert archive.query(fts.MISSING_SQL) == []
        assert len(search(archive, '"Government Enforcement"')) == 1


def test_versions_are_grouped_as_the_archive_groups_them(tmp_path: Path) -> None:
    """A capture whose text differs only in layout (a paragraph break moved) is no new version, in
    the search as in Archive.versions: the same first/last timestamps, the same count."""
    one = "# Privacy\n\nWe keep logs for ninety days.\n\nWe never sell your personal data to anyone.\n"
    relaid = "# Privacy\n\nWe keep logs for ninety days. We never sell your personal data to anyone.\n"
    other = "# Privacy\n\nWe keep logs for thirty days.\n\nWe never sell your personal data to anyone.\n"
    with Archive.open(tmp_path) as archive:
        policy = archive.ensure_policy("https://example.com/privacy")
        for ts, text in (("20200101000000", one), ("20200201000000", relaid), ("20200301000000", other)):
            archive.add_capture(policy, _text_capture(policy.url, ts), None, from_markdown(text))
        versions = archive.versions(policy.id)
        [hit] = search(archive, '"never sell"')
        [ninety] = search(archive, "ninety")
    assert [v.timestamp for v in versions] == ["20200101000000", "20200301000000"]
    assert hit.total_versions == 2
    assert [(v.timestamp, v.last_timestamp) for v in hit.versions] == [
        ("20200101000000", "20200201000000"),
        ("20200301000000", "20200301000000"),
    ]
    assert (ninety.first_appeared, ninety.last_seen, ninety.absent_after) == (
        "20200101000000",
        "20200201000000",
        "20200301000000",
    )

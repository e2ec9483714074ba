"""Versions that stay put: each extraction records its fingerprint (the extractor's version and the
versions of the libraries that shape the text), and a fingerprint change marks captures out of date;
``reextract`` then reports which versions' texts would change and changes nothing until ``--apply``.

A library upgrade is simulated by injecting the fingerprint's version source; extraction itself runs
for real on real pages (tests/data/corpus).
"""

from __future__ import annotations

import importlib.metadata
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.extraction.fingerprint import Fingerprint, current_fingerprint, fingerprint, installed_version
from archiver.pipeline import ReextractChange, ReextractSummary, import_paths, reextract
from archiver.storage import Archive, text_sha256

DATA = Path(__file__).parents[1] / "data" / "corpus"
INDEX = json.loads((DATA / "index.json").read_text())
GITHUB = [e for e in INDEX if e["slug"] == "github-privacy"][:3]


def _import(root: Path) -> Archive:
    archive = Archive.open(root)
    for e in GITHUB:
        (result,) = import_paths(archive, [str(DATA / e["file"])], url=e["url"], date=e["timestamp"])
        assert result.capture is not None and not result.error
    return archive


def _upgraded(name: str, version: str) -> str:
    """The fingerprint of this process with one library at another version."""
    return fingerprint(lambda n: version if n == name else installed_version(n)).text


def _state(archive: Archive) -> list[object]:
    policy = archive.get_policy(GITHUB[0]["url"])
    return [archive.extraction(c.id) for c in archive.captures(policy.id)] + [archive.versions(policy.id)]


def test_an_extraction_records_the_versions_that_shaped_its_text(tmp_path: Path) -> None:
    with _import(tmp_path / "A") as archive:
        policy = archive.get_policy(GITHUB[0]["url"])
        stored = [archive.extraction(c.id) for c in archive.captures(policy.id)]
    parts = dict(Fingerprint.parse(stored[0].fingerprint if stored[0] else "").parts)
    assert parts["lxml"] == importlib.metadata.version("lxml")
    assert parts["cssselect"] == importlib.metadata.version("cssselect")
    assert parts["charset-normalizer"] == importlib.metadata.version("charset-normalizer")
    assert parts["pypdfium2"] == importlib.metadata.version("pypdfium2")
    assert parts["extractor"].startswith("extract-") and parts["libxml2"].count(".") == 2
    assert all(e is not None and e.fingerprint == current_fingerprint() for e in stored)


def test_a_library_upgrade_marks_captures_out_of_date_and_changes_nothing_until_applied(
    tmp_path: Path,
) -> None:
    with _import(tmp_path / "A") as archive:
        assert [i for i in reextract(archive) if isinstance(i, ReextractSummary)][0].outdated == 0
        before = _state(archive)
        upgraded = _upgraded("lxml", "99.0")
        items = list(reextract(archive, fingerprint=upgraded))
        (summary,) = [i for i in items if isinstance(i, ReextractSummary)]
        assert summary.outdated == 3 and summary.changed == 0 and not summary.applied
        assert summary.differences == (f"lxml {importlib.metadata.version('lxml')} → 99.0",)
        assert not [i for i in items if isinstance(i, ReextractChange)]  # the texts are the same
        assert _state(archive) == before  # nothing stored, not even the new fingerprint
        # applied: the same texts and versions, with the new fingerprint; then up to date
        list(reextract(archive, fingerprint=upgraded, apply=True))
        after = _state(archive)
        assert after[-1] == before[-1]
        assert all(e.fingerprint == upgraded for e in after[:-1])  # type: ignore[union-attr]
        (summary,) = [i for i in reextract(archive, fingerprint=upgraded) if isinstance(i, ReextractSummary)]
        assert summary.outdated == 0


def test_reextract_names_the_versions_whose_text_would_change(tmp_path: Path) -> None:
    """What an older charset-normalizer made of the first capture differs from what this one makes:
    the report names that capture's version; only --apply stores the new text (and merges it back)."""
    with _import(tmp_path / "A") as archive:
        policy = archive.get_policy(GITHUB[0]["url"])
        caps = archive.captures(policy.id)
        good = archive.extraction(caps[0].id)
        assert good is not None
        old_fingerprint = _upgraded("charset-normalizer", "2.0.0")
        odd = "# GitHub\n\nolder text\n"
        archive.set_extraction(
            caps[0].id,
            replace(good, text=odd, text_sha256=text_sha256(odd), words=3, fingerprint=old_fingerprint),
        )
        versions_before = archive.versions(policy.id)
        items = list(reextract(archive))
        (change,) = [i for i in items if isinstance(i, ReextractChange)]
        assert change.capture.id == caps[0].id and change.version == 1
        assert change.old_words == 3 and change.new_text_sha256 == good.text_sha256
        (summary,) = [i for i in items if isinstance(i, ReextractSummary)]
        assert summary.outdated == 1 and summary.changed == 1
        assert summary.differences == (
            f"charset-normalizer 2.0.0 → {importlib.metadata.version('charset-normalizer')}",
        )
        assert archive.versions(policy.id) == versions_before
        assert archive.extraction(caps[0].id).text == odd  # type: ignore[union-attr]
        list(reextract(archive, apply=True))
        assert archive.extraction(caps[0].id) == good


def test_the_command_reports_then_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "A"
    _import(root).close()
    # an archive written before fingerprints were kept: its extractions have none
    with sqlite3.connect(root / "archive.sqlite3") as conn:
        conn.execute("DELETE FROM extraction_fingerprints")
    assert main(["--archive", str(root), "reextract", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["outdated"] == 3 and report["changed"] == 0 and report["applied"] is False
    assert report["differences"] == ["no fingerprint recorded (extracted by an earlier policydiff)"]
    assert report["fingerprint"] == current_fingerprint()
    assert main(["--archive", str(root), "reextract"]) == 0
    _, err = capsys.readouterr()
    assert "3 of 3 capture(s) out of date" in err and "nothing was changed" in err
    assert main(["--archive", str(root), "reextract", "--apply"]) == 0
    _, err = capsys.readouterr()
    assert "the new texts and fingerprints are stored" in err
    assert main(["--archive", str(root), "reextract"]) == 0
    _, err = capsys.readouterr()
    assert err.startswith("all 3 capture(s) are up to date")


def test_fingerprint_differences_name_each_component() -> None:
    old = Fingerprint((("extractor", "extract-4"), ("lxml", "5.2.1"), ("gone", "1")))
    new = Fingerprint((("extractor", "extract-5"), ("lxml", "5.2.1"), ("pypdf", "4.3")))
    assert Fingerprint.parse(new.text) == new
    assert new.changes_from(old) == ["extractor extract-4 → extract-5", "pypdf none → 4.3", "gone 1 → none"]
    assert new.changes_from(Fingerprint.parse("")) == [
        "no fingerprint recorded (extracted by an earlier policydiff)"
    ]

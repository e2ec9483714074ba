"""Measures over time (issue 14, part 5) and the answers the CSV/JSONL exports carry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from archiver.analysis.measures import count_sentences, measure_text, readability, third_parties
from archiver.cli import main
from archiver.exports.datasets import COLUMNS
from archiver.extraction import extract

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
HELOA = "https://heloa.app/fr/privacy"


def test_readability_by_language_formula() -> None:
    # six one-syllable words in one sentence: 206.835 - 1.015 * 6 - 84.6 * 1
    assert readability("The cat sat on the mat.", "en") == (116.1, "Flesch reading ease")
    # Amstad: 180 - 1 * 4 - 58.5 * 1
    assert readability("Der Hund bellt laut.", "de") == (117.5, "Flesch-Amstad")
    # Kandel-Moles: 207 - 1.015 * 4 - 73.6 * 1
    assert readability("Le chat est noir.", "fr") == (129.3, "Kandel-Moles")
    assert readability("我们收集你的信息。", "zh") == (None, "")


def test_sentences_and_third_parties() -> None:
    # One / Two / A heading / Three / "4.5 stays one" (a decimal point ends nothing)
    assert count_sentences("One. Two!\n\n## A heading\n\nThree? 4.5 stays one") == 5
    assert count_sentences("我们收集信息。我们保护信息！") == 2
    text = "We use Google Analytics and YouTube embeds, pay with Stripe; Apple Pay too. Segment of users."
    assert third_parties(text) == ("Apple", "Google", "Stripe")  # one Google; "Segment" is a word


def test_measures_of_real_versions() -> None:
    before, after = (
        extract((CORPUS / "heloa-privacy-fr" / f"{stamp}.html").read_bytes(), "text/html")
        for stamp in ("20250902003011", "20250926123039")
    )
    m1, m2 = measure_text(before.text, "fr"), measure_text(after.text, "fr")
    # the September 2025 version adds RevenueCat and Apple as sub-processors (Apple was named before)
    assert "RevenueCat" in after.text and "RevenueCat" not in before.text
    assert set(m2.third_parties) - set(m1.third_parties) == {"RevenueCat"}
    assert m2.words > m1.words and m2.sentences > m1.sentences
    assert m1.readability_formula == "Kandel-Moles" and m1.readability is not None
    assert m2.reading_minutes == round(m2.words / 238, 1)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


def test_exports_carry_dates_topics_and_measures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(tmp_path / "archive")
    for stamp in ("20250902003011", "20250926123039"):
        path = CORPUS / "heloa-privacy-fr" / f"{stamp}.html"
        _run(capsys, "--archive", a, "import", str(path), "--url", HELOA, "--date", stamp)
    _run(capsys, "--archive", a, "export", HELOA, "--csv", str(tmp_path / "v.csv"))
    _run(capsys, "--archive", a, "export", HELOA, "--jsonl", str(tmp_path / "v.jsonl"))
    rows = list(csv.DictReader((tmp_path / "v.csv").open(encoding="utf-8")))
    lines = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text(encoding="utf-8").splitlines()]
    for name in ("stated_date_readings", "topics", "topic_words", "priority", "sentences", "reading_minutes"):
        assert name in COLUMNS
    assert tuple(rows[0]) == COLUMNS and tuple(lines[0]) == COLUMNS
    first, second = rows
    assert (first["flags"], second["flags"]) == ("", "silent-change")
    assert second["stated_date"] == "2024-12-13" and second["stated_date_readings"] == "2024-12-13"
    assert first["topics"] == "" and first["priority"] == "0"  # a first version has no change
    assert second["topics"] == "third-party-sharing;international-transfers;arbitration"
    assert second["topic_words"] == (
        "third-party-sharing: sous-traitants; international-transfers: transiter hors, clauses contractuelles; "
        "arbitration: arbitrage"
    )
    assert second["readability_formula"] == "Kandel-Moles"
    assert int(second["third_parties"]) == int(first["third_parties"]) + 1
    assert "RevenueCat" in second["third_parties_named"].split(";")
    assert lines[1]["topic_words"]["international-transfers"] == ["transiter hors", "clauses contractuelles"]
    assert lines[1]["flags"] == ["silent-change"]
    assert isinstance(lines[1]["readability"], float) and lines[1]["sentences"] == int(second["sentences"])

"""Quality flags (capture-level and across neighbours), stated dates, language, re-extraction, CLI."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.extraction import (
    EXTRACTOR_VERSION,
    SequenceItem,
    capture_flags,
    extract,
    from_markdown,
    guess_language,
    reextract,
    sequence_flags,
    stated_date,
)
from archiver.models import Capture, Flag, Source

DATA = Path(__file__).resolve().parents[1] / "data"
TINDER = DATA / "corpus" / "tinder-privacy" / "20220407003230.html"
PDF = DATA / "corpus" / "doctolib-privacy-pdf-fr" / "20250718003000.pdf"
FIXTURES = DATA / "extraction"


def capture(**kw: object) -> Capture:
    base = Capture(
        id=1,
        policy_id=1,
        source=Source.WAYBACK,
        timestamp="20240101000000",
        original_url="https://www.example.com/privacy",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


# --- capture-level flags ----------------------------------------------------------------------


def test_archived_error_status() -> None:
    assert Flag.ERROR_PAGE in capture_flags(capture(http_status=404))
    assert Flag.ERROR_PAGE in capture_flags(capture(http_status=503))
    assert capture_flags(capture(http_status=200)) == ()


def test_cross_domain_redirect() -> None:
    to_parent = capture(redirects=("https://www.parent-group.com/legal/privacy",))
    assert Flag.CROSS_DOMAIN_REDIRECT in capture_flags(to_parent)
    same_site = capture(redirects=("https://example.com/privacy/", "https://legal.example.com/privacy"))
    assert Flag.CROSS_DOMAIN_REDIRECT not in capture_flags(same_site)
    uk = capture(
        original_url="https://shop.example.co.uk/privacy", redirects=("https://www.example.co.uk/privacy",)
    )
    assert capture_flags(uk) == ()
    other_uk = capture(
        original_url="https://shop.example.co.uk/privacy", redirects=("https://www.other.co.uk/privacy",)
    )
    assert Flag.CROSS_DOMAIN_REDIRECT in capture_flags(other_uk)


def test_capture_flags_include_the_extraction_flags() -> None:
    result = extract(b"<html><body><p>Short.</p></body></html>", "text/html")
    assert capture_flags(capture(http_status=404), result) == (Flag.ERROR_PAGE.value, Flag.SHORT_TEXT.value)


# --- neighbours -------------------------------------------------------------------------------


def item(
    words: int, language: str = "en", sha: str = "", sections: frozenset[str] = frozenset()
) -> SequenceItem:
    return SequenceItem(words, language, sha or f"sha{words}{language}", sections)


def test_language_changed_against_the_previous_version() -> None:
    flags = sequence_flags([item(3000, "en"), item(3000, "de"), item(3100, "de"), item(3100, "")])
    assert [Flag.LANGUAGE_CHANGED in f for f in flags] == [False, True, False, False]


def test_truncated_needs_both_neighbours_and_missing_sections() -> None:
    full = frozenset({"1. who we are", "2. data", "3. rights"})
    part = frozenset({"1. who we are", "2. data"})
    flags = sequence_flags(
        [item(5000, sections=full), item(3500, sections=part), item(5000, sha="x", sections=full)]
    )
    assert flags[1] == (Flag.TRUNCATED.value,)
    # a shorter text with every shared section is an edit, not a truncation
    assert (
        sequence_flags(
            [item(5000, sections=full), item(3500, sections=full), item(5000, sha="x", sections=full)]
        )[1]
        == ()
    )
    # neighbours that disagree in size: a rewrite, not a truncation
    assert sequence_flags([item(5000), item(3500), item(8000)])[1] == ()
    # first and last captures have no two neighbours
    assert sequence_flags([item(2000), item(5000)]) == [(), ()]


def test_sequence_items_load_text_only_for_suspects() -> None:
    loaded: list[int] = []

    def loader(i: int, text: str):  # type: ignore[no-untyped-def]
        def load() -> str:
            loaded.append(i)
            return text

        return load

    texts = ["## A\n\n## B\n\n## C\n", "## A\n\n## B\n", "## A\n\n## B\n\n## C\n", "## A\n\n## B\n\n## C\n"]
    words = [5000, 3000, 5000, 5000]
    items = [
        SequenceItem(w, "en", f"s{i}", load_text=loader(i, t))
        for i, (w, t) in enumerate(zip(words, texts, strict=True))
    ]
    assert sequence_flags(items)[1] == (Flag.TRUNCATED.value,)
    assert sorted(loaded) == [0, 1, 2]  # each suspect's neighbourhood read once; the fourth text never


# --- stated dates and language --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("# Privacy\n\nLast updated: March 3, 2021\n\nWe collect...", "2021-03-03"),
        ("Effective Date: 1st January 2020", "2020-01-01"),
        ("**Last modified** 2019-11-05", "2019-11-05"),
        ("Dernière mise à jour : 1er janvier 2023", "2023-01-01"),
        ("Mise à jour le 05/09/2022", "2022-09-05"),
        ("Stand: 17. Januar 2022", "2022-01-17"),
        ("Última actualización: 12 de mayo de 2021", "2021-05-12"),
        ("Ultimo aggiornamento: 3 giugno 2020", "2020-06-03"),
        ("Laatst bijgewerkt op 4 maart 2024", "2024-03-04"),
        ("最終更新日：2023年4月1日", "2023-04-01"),
        ("更新日期：2022年12月31日", "2022-12-31"),
        ("시행일: 2025. 1. 1.", "2025-01-01"),
        ("We updated our offices in 2020. Thanks.", ""),
        ("Last updated: soon", ""),
    ],
)
def test_stated_date(text: str, iso: str) -> None:
    assert stated_date(text) == iso


@pytest.mark.parametrize(("lang", "expected"), [("fr", "fr"), ("zh", "zh"), ("ja", "ja"), ("ko", "ko")])
def test_language_of_real_texts(lang: str, expected: str) -> None:
    assert guess_language((FIXTURES / f"policy_{lang}.txt").read_text(encoding="utf-8")) == expected


def test_language_falls_back_to_html_lang_for_too_little_text() -> None:
    assert guess_language("OK", "pt") == "pt"
    assert (
        guess_language("Wir verarbeiten die Daten und die Rechte der Nutzer für den Dienst mit Sorgfalt.")
        == "de"
    )


# --- re-extraction ---------------------------------------------------------------------------


def test_reextract_keeps_bytes_and_names_changes() -> None:
    body = TINDER.read_bytes()
    current = extract(body, "text/html")
    stale = replace(current, extractor_version="extract-0", text="old text\n", text_sha256="0" * 64)
    same_but_old = replace(current, extractor_version="extract-0")
    cap = capture(content_type="text/html", http_status=200)
    pllc = replace(cap, id=3, source=Source.PLLC)
    items = [
        (cap, body, stale),
        (replace(cap, id=2), body, same_but_old),
        (replace(cap, id=4), body, current),
        (pllc, None, replace(from_markdown("# T\n\ntext  \n"), extractor_version="extract-0")),
    ]
    before = bytes(body)
    results = list(reextract(items))
    assert body == before
    assert [r.capture.id for r in results] == [1, 2, 3]  # 4 is already current
    assert [r.changed for r in results] == [True, False, False]
    assert all(r.new is not None and r.new.extractor_version == EXTRACTOR_VERSION for r in results)


def test_reextract_reports_failures() -> None:
    cap = capture(content_type="image/png")
    (result,) = reextract([(cap, b"\x89PNG\r\n\x1a\n" + bytes(64), None)])
    assert result.new is None and "image/png" in result.error and not result.changed


# --- command line ------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_markdown_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, markdown, err = run(capsys, "extract", str(TINDER))
    assert code == 0 and err == "" and markdown.startswith("## Our Commitment To You\n")
    code, text, _ = run(capsys, "extract", str(TINDER), "--format", "text")
    assert (
        code == 0 and text.startswith("Our Commitment To You\n") and "**" not in text and "\n## " not in text
    )
    code, out, _ = run(
        capsys, "extract", str(TINDER), "--format", "json", "--url", "https://policies.tinder.com/privacy"
    )
    data = json.loads(out)
    assert code == 0
    assert data["text"] == markdown
    assert data["url"] == "https://policies.tinder.com/privacy"
    assert (data["language"], data["charset"], data["charset_rule"]) == ("en", "utf-8", "meta")
    assert data["stated_date"] == "2022-01-17" and data["extractor_version"] == EXTRACTOR_VERSION
    assert data["title"] and data["flags"] == [] and data["words"] > 4000


def test_cli_pdf_and_content_type(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "extract", str(PDF), "--format", "text")
    assert code == 0 and out.startswith("Page 1\n\nPolitique de protection")
    legacy = tmp_path / "page.bin"
    legacy.write_bytes("<p>Données personnelles</p>".encode("cp1252"))
    code, out, _ = run(
        capsys, "extract", str(legacy), "--content-type", "text/html; charset=iso-8859-1", "--format", "json"
    )
    assert code == 0 and json.loads(out)["text"] == "Données personnelles\n"


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "extract", str(tmp_path / "missing.html"))
    assert code == 1 and out == "" and err.startswith("policydiff: ") and err.count("\n") == 1
    image = tmp_path / "logo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    code, out, err = run(capsys, "extract", str(image))
    assert code == 1 and "cannot extract" in err and err.count("\n") == 1


def test_language_of_a_page_whose_link_target_spans_its_head() -> None:
    # The real Heloa page (French) linking its PDF version as a data: URL, base64 wrapped at 76
    # characters: the link is markup to strip from the whole text, though it runs past the first
    # 16 000 characters (past what the sample is taken from on a long page).
    heloa = extract(
        (DATA / "corpus" / "heloa-privacy-fr" / "20250718003012.html").read_bytes(), "text/html"
    ).text
    pdf = base64.encodebytes(PDF.read_bytes()[:12000]).decode("ascii")
    at = heloa.index("\n", 1500) + 1
    page = heloa[:at] + f"\n[Télécharger en PDF](data:application/pdf;base64,{pdf})\n" + heloa[at:]
    assert len(page) > 20000 and page.count("\n", 0, 16000) > 150
    assert guess_language(page) == "fr"
    # and a long page with the links closed in its head: the sample comes from its start alone
    assert guess_language(heloa * 3) == "fr"

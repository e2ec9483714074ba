"""Stated dates read by locale, and the date flags of versions (issue 14, part 1).

Date lines are real: pages of the test corpus, excerpts of Open Terms Archive references and of
public policy pages (tests/data/answers/README.md). The silent change is two real Heloa captures;
the date-only change is a real Tinder capture whose two date lines were moved, as a site does when
it only bumps the date.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.analysis.dateflags import DatedText, date_flags
from archiver.cli import main
from archiver.extraction import extract
from archiver.extraction.dates import DAY_FIRST, MONTH_FIRST, date_order, parse_stated_date

DATA = Path(__file__).resolve().parents[1] / "data"
LINES = json.loads((DATA / "answers" / "date_lines.json").read_text(encoding="utf-8"))
CORPUS = DATA / "corpus"
TINDER = "https://policies.tinder.com/privacy/intl/en"
HELOA = "https://heloa.app/fr/privacy"


@pytest.mark.parametrize("case", LINES, ids=[c["id"] for c in LINES])
def test_stated_date_of_real_date_lines(case: dict[str, object]) -> None:
    found = parse_stated_date(str(case["text"]), str(case["language"]))
    assert found is not None
    assert found.iso == case["stated_date"]
    assert [[s.kind, list(s.readings)] for s in found.statements] == case["statements"]
    assert found.ambiguous is case["ambiguous"]


def test_eight_languages_and_both_orders_are_covered() -> None:
    languages = {str(c["language"]).split("-")[0] for c in LINES} | {"en", "fr"}  # + the corpus pages below
    assert {"en", "fr", "de", "es", "it", "nl", "zh", "ja", "pt"} <= languages


@pytest.mark.parametrize(
    ("file", "stated", "line"),
    [
        ("github-privacy/20230425183000.html", "2022-12-15", "Effective date: December 15, 2022"),
        ("github-privacy/20240203003002.html", "2024-02-01", "Effective date: February 1, 2024"),
        ("tinder-privacy/20220407003230.html", "2022-01-17", "EFFECTIVE DATE: January 17, 2022"),
        (
            "tinder-privacy/20240416003323.html",
            "2023-07-01",
            "This Privacy Policy applies from July 1, 2023.",
        ),
        ("heloa-privacy-fr/20250718003012.html", "2024-12-13", "En vigueur au 13 décembre 2024"),
        ("doctolib-privacy-pdf-fr/20250718003000.pdf", "2025-04-01", "Version : Avril 2025"),
    ],
)
def test_corpus_pages_state_their_date_and_keep_the_line(file: str, stated: str, line: str) -> None:
    path = CORPUS / file
    result = extract(path.read_bytes(), "application/pdf" if path.suffix == ".pdf" else "text/html")
    assert result.stated_date == stated
    assert line in result.text  # the date line is part of the policy text


def test_numeric_dates_follow_the_locale() -> None:
    assert date_order("en-US") == MONTH_FIRST
    assert date_order("en-gb") == DAY_FIRST
    assert date_order("fr") == DAY_FIRST
    assert date_order("de-DE") == DAY_FIRST
    # English without a region: as the page itself writes dates (Sana writes "22 April 2026")
    sana = next(c for c in LINES if c["id"] == "sana")
    assert date_order("en", str(sana["text"])) == DAY_FIRST
    assert date_order("en", "Last updated March 19, 2024") == MONTH_FIRST
    # a day above 12 leaves one reading, whatever the locale
    found = parse_stated_date("Last updated: 04/13/2024", "en-GB")
    assert found is not None and found.statements[0].readings == ("2024-04-13",)
    # "Stand" is a German cue, but not inside "understand"
    assert parse_stated_date("We help you understand 01.03.2024 rules", "de") is None
    found = parse_stated_date("Datenschutzerklärung\n\nStand: 01.03.2024\n", "de")
    assert found is not None and found.statements[0].readings == ("2024-03-01", "2024-01-03")


def _text(capture: str) -> str:
    return extract((CORPUS / capture).read_bytes(), "text/html").text


def test_flags_from_stated_dates() -> None:
    def item(stated: str, stamp: str, text: str = "x") -> DatedText:
        return DatedText(stated, stamp, len(text.split()), lambda: text, "en")

    heloa = [_text("heloa-privacy-fr/20250902003011.html"), _text("heloa-privacy-fr/20250926123039.html")]
    items = [
        item("2024-12-13", "20250902003011", heloa[0]),
        item("2024-12-13", "20250926123039", heloa[1]),  # new sub-processors, same date: silent
        item("2024-11-01", "20251001000000", heloa[1].replace("13 décembre 2024", "1er novembre 2024", 1)),
        item("2026-01-01", "20251002000000", heloa[1].replace("13 décembre 2024", "1er janvier 2026", 1)),
        item("", "20251003000000"),
    ]
    flags = date_flags(items, [None, 0, 1, 2, 3])
    assert flags == [
        (),
        ("silent-change",),
        ("date-only-change", "date-backwards"),
        ("date-only-change", "effective-in-future"),
        (),
    ]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _import(capsys: pytest.CaptureFixture[str], archive: str, path: Path, url: str, date: str) -> None:
    code, _, err = _run(capsys, "--archive", archive, "import", str(path), "--url", url, "--date", date)
    assert code == 0, err


def test_silent_change_between_real_captures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(tmp_path / "archive")
    for stamp in ("20250902003011", "20250926123039"):
        _import(capsys, a, CORPUS / "heloa-privacy-fr" / f"{stamp}.html", HELOA, stamp)
    code, out, _ = _run(capsys, "--archive", a, "versions", HELOA, "--json")
    assert code == 0
    versions = json.loads(out)
    assert [v["flags"] for v in versions] == [[], ["silent-change"]]
    assert [v["stated_date"] for v in versions] == ["2024-12-13", "2024-12-13"]
    assert versions[1]["stated_dates"]["statements"] == [
        {
            "kind": "effective",
            "date": "2024-12-13",
            "readings": ["2024-12-13"],
            "ambiguous": False,
            "line": "*En vigueur au 13 décembre 2024*",
        }
    ]
    code, out, _ = _run(capsys, "--archive", a, "versions", HELOA)
    assert [line for line in out.splitlines() if "[silent-change]" in line] == [
        next(line for line in out.splitlines() if line.startswith("2025-09-26"))
    ]
    assert "stated 2024-12-13  [silent-change]" in out


def test_date_only_change_and_backwards_from_a_real_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = str(tmp_path / "archive")
    original = (CORPUS / "tinder-privacy" / "20220407003230.html").read_bytes()
    assert original.count(b"January 17, 2022") == 2  # "applies from …" and "EFFECTIVE DATE: …"
    bumped = tmp_path / "bumped.html"
    bumped.write_bytes(original.replace(b"January 17, 2022", b"January 25, 2023"))
    back = tmp_path / "back.html"  # the original text again (other bytes: the same body is one capture)
    back.write_bytes(original + b"\n<!-- served again -->\n")
    _import(capsys, a, CORPUS / "tinder-privacy" / "20220407003230.html", TINDER, "20220407003230")
    _import(capsys, a, bumped, TINDER, "20230120003318")  # only the date moved, to after the capture
    _import(capsys, a, back, TINDER, "20230301000000")
    code, out, _ = _run(capsys, "--archive", a, "versions", TINDER, "--json")
    assert code == 0
    versions = json.loads(out)
    assert [v["stated_date"] for v in versions] == ["2022-01-17", "2023-01-25", "2022-01-17"]
    assert [v["flags"] for v in versions] == [
        [],
        ["date-only-change", "effective-in-future"],
        ["date-backwards", "date-only-change"],
    ]
    code, out, _ = _run(capsys, "--archive", a, "versions", TINDER, "--json", "--flag", "date-backwards")
    assert [v["timestamp"] for v in json.loads(out)] == ["20230301000000"]


def test_extract_json_has_the_stated_date_and_its_readings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "cgu.html"
    page.write_text(
        "<html lang='fr'><body><main><h1>Politique de confidentialité</h1>"
        "<p>Dernière mise à jour : 08-01-2026</p>"
        "<p>Nous traitons vos données personnelles conformément au règlement général sur la protection "
        "des données. Vous pouvez exercer vos droits à tout moment auprès de notre délégué.</p>"
        "</main></body></html>",
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "extract", str(page), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["stated_date"] == "2026-01-08"
    assert "Dernière mise à jour : 08-01-2026" in data["text"]
    assert data["stated_dates"]["ambiguous"] is True
    assert data["stated_dates"]["statements"][0]["readings"] == ["2026-01-08", "2026-08-01"]


def test_a_british_page_keeps_its_reading_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "privacy.html"
    page.write_text(
        "<html lang='en-GB'><body><main><h1>Privacy Policy</h1><p>Last updated: 01/05/2016</p>"
        "<p>We collect your name and email address when you order, and keep them for six years to meet "
        "our accounting obligations. You may ask us for a copy of your personal data at any time.</p>"
        "</main></body></html>",
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "extract", str(page), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["language"] == "en"
    assert data["stated_date"] == "2016-05-01"  # 1 May: day first, as the page's locale says
    assert data["stated_dates"]["stated_date"] == "2016-05-01"
    assert data["stated_dates"]["statements"][0]["readings"] == ["2016-05-01", "2016-01-05"]


def test_a_truncated_capture_is_no_silent_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Tinder, 2025-04-17: a capture cut short at 00:33, the whole page again at 12:33 (same date line)
    a = str(tmp_path / "archive")
    for stamp in ("20240531183348", "20250417003349", "20250417123351"):
        _import(capsys, a, CORPUS / "tinder-privacy" / f"{stamp}.html", TINDER, stamp)
    code, out, _ = _run(capsys, "--archive", a, "versions", TINDER, "--json")
    versions = json.loads(out)
    assert [v["stated_date"] for v in versions] == ["2024-07-01", "2025-02-28", "2025-02-28"]
    # the truncated one is compared with nothing, and is nothing to compare the next one with
    assert [v["flags"] for v in versions] == [["effective-in-future"], ["looks-truncated"], []]


GITHUB_DATE_LINE = "Effective date: December 15, 2022\n"


def test_a_date_line_far_down_the_head_is_found_and_one_past_it_is_not() -> None:
    # the real GitHub statement with its date line moved down the page (the first 20 000
    # characters are read)
    text = _text("github-privacy/20230425183000.html").replace(GITHUB_DATE_LINE, "", 1)
    assert parse_stated_date(text, "en") is None
    for at, stated in ((15000, "2022-12-15"), (19000, "2022-12-15"), (21000, "")):
        line_start = text.index("\n", at) + 1
        moved = text[:line_start] + GITHUB_DATE_LINE + text[line_start:]
        found = parse_stated_date(moved, "en")
        assert (found.iso if found else "") == stated, at
        if found:
            assert [s.line for s in found.statements] == ["Effective date: December 15, 2022"]


@pytest.mark.parametrize(
    ("gap", "stated", "lines"),
    [
        # a cue starting 300 characters after the end of the first date belongs to its block
        (299, "2024-03-03", ["Effective date: December 15, 2022", "Last updated: March 3, 2024"]),
        # one character further it starts another block, which is not read
        (300, "2022-12-15", ["Effective date: December 15, 2022"]),
    ],
)
def test_a_date_block_ends_300_characters_after_its_last_date(
    gap: int, stated: str, lines: list[str]
) -> None:
    text = _text("github-privacy/20230425183000.html")
    date_end = text.index(GITHUB_DATE_LINE) + len(GITHUB_DATE_LINE) - 1  # 61, after "2022"
    cut = date_end + gap
    found = parse_stated_date(text[:cut] + "\nLast updated: March 3, 2024\n" + text[cut:], "en")
    assert found is not None
    assert found.iso == stated
    assert [s.line for s in found.statements] == lines


@pytest.mark.parametrize(
    ("line", "language", "stated"),
    [
        # a cue for each letter a cue can start with (dates._CUE_START)
        ("Applies from 1 May 2024", "en-gb", "2024-05-01"),
        ("Bijgewerkt op 4 maart 2024", "nl", "2024-03-04"),
        ("Date of last revision: June 30, 2021", "en", "2021-06-30"),
        ("Effective as of May 25, 2018", "en", "2018-05-25"),
        ("Fecha de vigencia: 12 de mayo de 2021", "es", "2021-05-12"),
        ("Gültig ab 1. März 2024", "de", "2024-03-01"),
        ("In vigore dal 1 gennaio 2024", "it", "2024-01-01"),
        ("Letzte Änderung: 17. Januar 2022", "de", "2022-01-17"),
        ("Modified: 2019-11-05", "en", "2019-11-05"),
        ("Revised: June 5, 2020", "en", "2020-06-05"),
        ("Stand: 01.03.2024", "de", "2024-03-01"),
        ("Updated on 2 August 2025", "en", "2025-08-02"),
        ("Vigente desde el 1 de enero de 2024", "es", "2024-01-01"),
        ("Zuletzt aktualisiert am 17. Januar 2022", "de", "2022-01-17"),
        ("ÚLTIMA ATUALIZAÇÃO: 2 de agosto de 2026", "pt", "2026-08-02"),
        ("施行日：2023年4月1日", "ja", "2023-04-01"),
        ("生效日期：2026年6月1日", "zh", "2026-06-01"),
        ("시행일: 2025. 1. 1.", "ko", "2025-01-01"),
        ("最終更新日：2024年5月18日", "ja", "2024-05-18"),
        ("更新日期：2026年5月25日", "zh", "2026-05-25"),
        ("최종 수정일: 2024. 3. 1.", "ko", "2024-03-01"),
    ],
)
def test_every_first_letter_of_a_cue_is_read(line: str, language: str, stated: str) -> None:
    found = parse_stated_date(f"# Privacy\n\n{line}\n\nWe collect data.\n", language)
    assert found is not None and found.iso == stated


def _first_characters(pattern: str) -> set[str]:
    """The characters a match of ``pattern`` can start with, lower-cased, read from the regex
    parser's tree (the cue patterns use literals, classes, groups, alternations and optional
    parts only)."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def first(items: list[tuple[object, object]]) -> tuple[set[str], bool]:
        """First characters of a sequence, and whether it can match nothing."""
        out: set[str] = set()
        for op, arg in items:
            chars, empty = first_of(op, arg)
            out |= chars
            if not empty:
                return out, False
        return out, True

    def first_of(op: object, arg: object) -> tuple[set[str], bool]:
        if op is c.LITERAL:
            return {chr(arg).lower()}, False  # type: ignore[arg-type]
        if op is c.IN:
            chars: set[str] = set()
            for kind, value in arg:  # type: ignore[attr-defined]
                if kind is c.LITERAL:
                    chars.add(chr(value).lower())
                elif kind is c.RANGE:
                    chars.update(chr(n).lower() for n in range(value[0], value[1] + 1))
                else:
                    raise AssertionError(f"class item {kind} not handled")
            return chars, False
        if op is c.SUBPATTERN:
            return first(list(arg[-1]))  # type: ignore[index]
        if op is c.BRANCH:
            results = [first(list(branch)) for branch in arg[1]]  # type: ignore[index]
            return set().union(*(r[0] for r in results)), any(r[1] for r in results)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, _high, sub = arg  # type: ignore[misc]
            chars, empty = first(list(sub))
            return chars, empty or low == 0
        raise AssertionError(f"regex op {op} not handled")

    chars, empty = first(list(_parser.parse(pattern)))
    assert not empty
    return chars


def test_the_cue_prefilter_lets_every_cue_through() -> None:
    """dates._CUE_START is written by hand for speed: a cue added later whose first letter it
    lacks would never be read. Every possible first character of every cue pattern must be in it."""
    from archiver.extraction import dates

    allowed = set(dates._CUE_START.lower())
    for pattern in (dates._EFFECTIVE_CUES, dates._UPDATED_CUES, dates._CJK_EFFECTIVE, dates._CJK_UPDATED):
        assert _first_characters(pattern) <= allowed, pattern
    assert _first_characters(r"[úu]ltima|stand|施行") == {"ú", "u", "s", "施"}  # the reader itself

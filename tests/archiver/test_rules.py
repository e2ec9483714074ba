"""Extraction rules a user sets: `policydiff rules`, the re-extraction it triggers, and previews.

The page is a real capture (tests/data/corpus-wide/README.md): M-PESA's terms, whose date line
sits beside the ``.m-pesa-global-content`` container that holds the terms themselves.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.errors import ExtractionError, InvalidSelectorError
from archiver.models import ExtractionRule, Flag
from archiver.rules import make_rule, preview, selector_parts, with_rule, without_rules
from archiver.storage import Archive

PAGE = Path(__file__).resolve().parents[1] / "data" / "corpus-wide" / "mpesa-tos" / "20250530043018.html"
URL = "https://www.safaricom.co.ke/media-center-landing/terms-and-conditions/m-pesa-customer-terms-conditions"
DATE_LINE = "Last Updated: May 28, 2024 at 1:54 PM"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def texts(root: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    with Archive.open(root) as arc:
        policy = arc.get_policy(URL)
        out = {}
        for c in arc.captures(policy.id):
            e = arc.extraction(c.id)
            assert e is not None
            out[c.timestamp] = (e.text, e.flags)
        return out


def page_copy(root: str) -> Path:
    """The page under a name without a timestamp, so that --date dates each import (a timestamp in
    a file's name is its capture date: archiver/capture_dates.py)."""
    return Path(root).parent / "m-pesa-terms.html"


@pytest.fixture
def archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    root = str(tmp_path / "A")
    page_copy(root).write_bytes(PAGE.read_bytes())
    for date in ("20250530043018", "20250807163022"):
        assert (
            run(capsys, "--archive", root, "import", str(page_copy(root)), "--url", URL, "--date", date)[0]
            == 0
        )
    return root


def test_a_rule_set_by_the_cli_re_extracts_and_applies_to_the_next_capture(
    archive: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert all(DATE_LINE in text for text, _ in texts(archive).values())
    code, out, err = run(capsys, "--archive", archive, "rules", URL)
    assert code == 0 and out == "" and "no rules" in err

    code, out, err = run(
        capsys,
        "--archive",
        archive,
        "rules",
        URL,
        "--select",
        ".m-pesa-global-content",
        "--remove",
        "a[href$='.pdf']",
    )
    assert code == 0, err
    assert out.splitlines() == [
        "rule     always                 select .m-pesa-global-content; remove a[href$='.pdf']",
        "changed  2025-05-30 04:30:18",
        "changed  2025-08-07 16:30:22",
    ]
    assert "2 capture(s) have a new text" in err
    for text, flags in texts(archive).values():
        assert DATE_LINE not in text and "Download PDF" not in text
        assert text.startswith("This Agreement contains the complete terms and conditions")
        assert Flag.RULE_UNMATCHED.value not in flags
    code, out, _ = run(capsys, "--archive", archive, "rules", URL)
    assert out == "always                 select .m-pesa-global-content; remove a[href$='.pdf']\n"

    # the next capture stored follows the rule
    assert (
        run(
            capsys,
            "--archive",
            archive,
            "import",
            str(page_copy(archive)),
            "--url",
            URL,
            "--date",
            "20251210053020",
        )[0]
        == 0
    )
    newest = texts(archive)["20251210053020"][0]
    assert DATE_LINE not in newest and newest.startswith("This Agreement contains")


def test_a_rule_that_matches_nothing_is_said_and_flagged(
    archive: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "--archive", archive, "rules", URL, "--select", "#no-such-thing", "--from", "2025-08"
    )
    assert code == 0, err
    # the automatic text is the same text: no capture changed, but the rule is said to select nothing
    assert out.splitlines() == ["rule     from 2025-08-01 00:00:00 select #no-such-thing"]
    assert "selects nothing on 1 capture(s) (from 2025-08-07 16:30:22)" in err
    got = texts(archive)
    assert Flag.RULE_UNMATCHED.value in got["20250807163022"][1]
    assert Flag.RULE_UNMATCHED.value not in got["20250530043018"][1]
    assert DATE_LINE in got["20250807163022"][0]  # the automatic path ran


def test_clear_puts_the_automatic_text_back(archive: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "--archive", archive, "rules", URL, "--select", ".m-pesa-global-content")
    code, out, err = run(capsys, "--archive", archive, "rules", URL, "--clear")
    assert code == 0, err
    assert out.splitlines() == ["changed  2025-05-30 04:30:18", "changed  2025-08-07 16:30:22"]
    assert all(DATE_LINE in text for text, _ in texts(archive).values())
    with Archive.open(archive) as arc:
        assert arc.get_policy(URL).rules == ()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", "div["], "bad CSS selector 'div['"),
        (["--select", "main", "--clear"], "--clear removes rules"),
        (["--from", "2025"], "--from needs"),
        (["--clear", "--from", "2024"], "has no rule from 2024-01-01 00:00:00"),
        (["--select", "main", "--from", "20x5"], "bad date '20x5'"),
    ],
)
def test_bad_rules_are_usage_errors_and_change_nothing(
    archive: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = texts(archive)
    code, out, err = run(capsys, "--archive", archive, "rules", URL, *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
    assert texts(archive) == before


def test_reextract_reports_what_the_policys_rules_change(
    archive: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rules stored by another route (an older archive, the app) are what `reextract` applies."""
    with Archive.open(archive) as arc:
        policy = arc.get_policy(URL)
        arc.set_rules(policy.id, [ExtractionRule("", select=(".m-pesa-global-content",))])
        for c in arc.captures(policy.id):
            old = arc.extraction(c.id)
            assert old is not None
            arc.set_extraction(c.id, replace(old, extractor_version="extract-0"))
    code, out, err = run(capsys, "--archive", archive, "reextract", URL, "--apply")
    assert code == 0, err
    assert len(out.splitlines()) == 2 and all(line.startswith("changed  ") for line in out.splitlines())
    assert all(DATE_LINE not in text for text, _ in texts(archive).values())


def test_rule_list_helpers() -> None:
    always = make_rule(["main"], [])
    later = make_rule([" article "], [".ad"], "20250101000000")
    assert later.select == ("article",)
    rules = with_rule(with_rule((), later), always)
    assert rules == (always, later)
    replaced = with_rule(rules, make_rule(["section"], [], "20250101000000"))
    assert [r.select for r in replaced] == [("main",), ("section",)]
    assert without_rules(replaced, "20250101000000") == (always,)
    assert without_rules(replaced) == ()
    with pytest.raises(InvalidSelectorError) as info:
        make_rule(["p:nth-child("], [])
    assert info.value.selector == "p:nth-child("


def test_preview_counts_matches_and_names_the_selectors_that_match_nothing() -> None:
    body = PAGE.read_bytes()
    rule = make_rule([".m-pesa-global-content", "#gone"], [".article-timestamp", ".also-gone"])
    result = preview(body, "text/html", rule)
    assert dict(result.select_matches) == {".m-pesa-global-content": 1, "#gone": 0}
    assert dict(result.remove_matches) == {".article-timestamp": 1, ".also-gone": 0}
    assert result.unmatched == ("#gone", ".also-gone")
    assert result.extraction.text.startswith("Download PDF")
    with pytest.raises(ExtractionError, match="rules apply to HTML pages"):
        preview(b"%PDF-1.4\n", "application/pdf", rule)


def test_each_selector_of_a_selector_list_is_counted() -> None:
    assert selector_parts("main, #gone") == ["main", "#gone"]
    assert selector_parts("a[title='x, y'], p:is(.a, .b)") == ["a[title='x, y']", "p:is(.a, .b)"]
    result = preview(PAGE.read_bytes(), "text/html", make_rule([".m-pesa-global-content, #gone"], []))
    assert result.select_matches == ((".m-pesa-global-content", 1), ("#gone", 0))
    assert result.unmatched == ("#gone",)

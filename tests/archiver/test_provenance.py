"""Issue 18, part 5: provenance is never invented; exports state each capture's real source."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.cli import main
from archiver.pllc import format_pllc, parse_pllc
from archiver.storage import Archive

DATA = Path(__file__).resolve().parents[1] / "data"
PAGE = DATA / "corpus/tinder-privacy/20220407003230.html"
URL = "https://tinder.com/privacy"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_pllc_export_of_a_local_file_invents_no_wayback_link_and_reimports_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = str(tmp_path / "A"), str(tmp_path / "B")
    assert run(capsys, "--archive", a, "import", str(PAGE), "--url", URL)[0] == 0
    assert run(capsys, "--archive", a, "export", URL, "--pllc", str(tmp_path / "out"))[0] == 0
    [doc] = (tmp_path / "out").rglob("*.md")
    header = doc.read_text(encoding="utf-8").splitlines()[0]
    assert "web.archive.org" not in header and "/web/" not in header
    assert "not by a web archive" in header and "a local file" in header
    code, _, err = run(capsys, "--archive", b, "import", str(doc))
    assert code == 0, err
    with Archive.open(b) as archive:
        [capture] = archive.captures(archive.get_policy(URL).id)
        assert capture.archive == "" and capture.memento_url == ""
        assert capture.timestamp == "20220407003230"
        assert "captured from file, not by a web archive" in capture.provenance
    assert run(capsys, "--archive", b, "export", URL, "--pllc", str(tmp_path / "again"))[0] == 0
    [again] = (tmp_path / "again").rglob("*.md")
    assert again.read_text(encoding="utf-8") == doc.read_text(encoding="utf-8")  # a stable round trip


def test_another_archive_is_named_as_itself() -> None:
    doc = format_pllc(
        "https://e.com/p", "20230102030405", "# P\n", archive_prefix="http://127.0.0.1:8080/coll/"
    )
    assert "Wayback Machine" not in doc and "web.archive.org" not in doc
    parsed = parse_pllc(doc)
    assert (parsed.archive, parsed.origin) == ("http://127.0.0.1:8080/coll/", "memento")
    assert parsed.memento_url == "http://127.0.0.1:8080/coll/20230102030405id_/https%3A//e.com/p"


def test_a_header_with_an_impossible_date_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = format_pllc("https://e.com/p", "20231302030405", "# P\n")
    path = tmp_path / "x.md"
    path.write_text(doc, encoding="utf-8")
    code, _, err = run(capsys, "--archive", str(tmp_path / "A"), "import", str(path))
    assert code == 1 and "not a real date" in err

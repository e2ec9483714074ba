"""Paragraph notes carried through a move, an edit and a deletion of their paragraph (real texts
stored through `import`, followed with the diff engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.cli import main

URL = "https://notes.example/privacy"
A = "We collect your email address and the name you give us when you create an account."
B = "We share data with partners for marketing and analytics purposes, as listed below."
B2 = "We share data with selected partners for marketing and analytics purposes, as listed below."
C = "Contact our data protection officer at privacy@notes.example with any question."
D = "Cookies are used for analytics, and you can refuse them in the settings at any time."


def html(*paras: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return f"<html><head><title>Privacy</title></head><body><main><h1>Privacy policy</h1>{body}</main></body></html>"


def run(capsys: pytest.CaptureFixture[str], arc: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--archive", str(arc), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def arc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    arc = tmp_path / "arc"
    pages = {
        "20200101000000": html(A, B, C, D),
        "20200201000000": html(A, C, D, B),  # B moved
        "20200301000000": html(A, C, D, B2),  # B edited
        "20200401000000": html(A, C, B2),  # D deleted
    }
    for ts, page in pages.items():
        path = tmp_path / f"{ts}.html"
        path.write_text(page, encoding="utf-8")
        code, _, err = run(capsys, arc, "import", str(path), "--url", URL, "--date", ts)
        assert code == 0, err
    return arc


def states(capsys: pytest.CaptureFixture[str], arc: Path, ts: str) -> dict[str, tuple[str, str | None]]:
    code, out, err = run(capsys, arc, "notes", f"{URL}@{ts}", "--json")
    assert code == 0, err
    return {n["note"]: (n["state"], n["paragraph_now"]) for n in json.loads(out)}


def test_notes_follow_their_paragraph_through_a_move_an_edit_and_a_deletion(
    arc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(
            capsys,
            arc,
            "notes",
            f"{URL}@2020-01",
            "--add",
            "share data",
            "--text",
            "sharing",
            "--author",
            "Ana",
        )[0]
        == 0
    )
    assert (
        run(capsys, arc, "notes", f"{URL}@2020-01", "--add", "Cookies are used", "--text", "cookies")[0] == 0
    )
    assert (
        run(capsys, arc, "notes", f"{URL}@2020-01", "--add", "2", "--text", "collection")[0] == 0
    )  # 1 = heading

    assert states(capsys, arc, "20200101000000") == {
        "sharing": ("same", B),
        "cookies": ("same", D),
        "collection": ("same", A),
    }
    assert states(capsys, arc, "20200201000000") == {  # B moved, word for word
        "sharing": ("same", B),
        "cookies": ("same", D),
        "collection": ("same", A),
    }
    assert states(capsys, arc, "20200301000000")["sharing"] == ("changed", B2)
    assert states(capsys, arc, "20200401000000") == {
        "sharing": ("changed", B2),
        "cookies": ("removed", None),
        "collection": ("same", A),
    }
    code, out, _ = run(capsys, arc, "notes", URL)  # the newest version, as a person reads it
    assert "[paragraph removed]" in out and "[paragraph changed since the note]" in out and "Ana" in out


def test_a_note_needs_one_paragraph_and_some_text(arc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, arc, "notes", URL, "--add", "We", "--text", "x")
    assert code == 2 and "paragraphs contain 'We'" in err
    code, _, err = run(capsys, arc, "notes", URL, "--add", "nowhere to be found", "--text", "x")
    assert code == 2 and "no paragraph contains" in err
    code, _, err = run(capsys, arc, "notes", URL, "--add", "99", "--text", "x")
    assert code == 2 and "there is no paragraph 99" in err
    code, _, err = run(capsys, arc, "notes", URL, "--add", "2", "--text", "  ")
    assert code == 2 and "the note is empty" in err

"""`policydiff diff A B` end to end: formats, exit codes, ignore options, URL@TIMESTAMP sides."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.models import Capture, Extraction, Source
from archiver.storage import Archive, text_sha256

DATA = Path(__file__).resolve().parents[1] / "data"
TINDER = DATA / "corpus" / "tinder-privacy"
BEFORE = TINDER / "20240531183348.ref.md"
PARTIAL = TINDER / "20250417003349.ref.md"
TINDER_URL = "https://policies.tinder.com/privacy"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_same_files_exit_0_with_no_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "diff", str(BEFORE), str(BEFORE))
    assert (code, out, err) == (0, "", "")


def test_different_files_exit_1_with_a_word_diff(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "diff", str(BEFORE), str(PARTIAL), "--color", "never")
    assert code == 1 and err == ""
    assert "This Privacy Policy applies from [-July 1-]{+February 28+}, [-2024-]{+2025+}." in out
    assert "[-**7\\. Cross-Border Data Transfers**" in out
    assert "\x1b[" not in out
    assert re.search(r"^\d+ words removed, \d+ added", out)


def test_text_colour_always(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "diff", str(BEFORE), str(PARTIAL), "--color", "always")
    assert code == 1
    assert "\x1b[31mJuly 1\x1b[0m\x1b[32mFebruary 28\x1b[0m" in out


def test_json_has_stats_and_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "diff", str(BEFORE), str(PARTIAL), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    stats = doc["stats"]
    assert {"words_added", "words_removed", "changed_ratio", "moved_blocks"} <= set(stats)
    assert stats["words_removed"] > 1000 and 0 < stats["changed_ratio"] < 0.3
    assert doc["same"] is False
    before = BEFORE.read_text(encoding="utf-8")
    assert "".join(r["left"]["text"] for r in doc["rows"] if r["left"]) == before
    replace = next(r for r in doc["rows"] if r["kind"] == "replace")
    start, end = replace["left_spans"][0]
    assert replace["left"]["text"][start:end] == "July 1"
    assert {r["kind"] for r in doc["rows"]} == {"equal", "replace", "delete", "insert"}


def test_html_is_self_contained_and_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.md"
    b = tmp_path / "b.md"
    intro = "We use cookies and similar technologies to remember your settings and keep you signed in"
    a.write_text(
        f"# Terms\n\n{intro} <script>alert(1)</script> & more.\n\nSame paragraph.\n", encoding="utf-8"
    )
    b.write_text(
        f'# Terms\n\n{intro} <img src="https://evil.example/x.png"> & more.\n\nSame paragraph.\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "diff", str(a), str(b), "--format", "html")
    assert code == 1
    assert out.startswith("<!DOCTYPE html>")
    lowered = out.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<link" not in lowered
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", lowered)
    plain = re.sub(r"</?(del|ins)>", "", out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more." in plain
    assert "&lt;img src=&quot;https://evil.example/x.png&quot;&gt; &amp; more." in plain
    assert "<del>" in out and "<ins>" in out
    assert 'class="replace"' in out and 'class="equal"' in out


def test_html_context_collapses_unchanged_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "diff", str(BEFORE), str(PARTIAL), "--format", "html", "--context", "0")
    assert code == 1
    assert 'class="skip"' in out and "unchanged blocks" in out
    # only a lone unchanged row between two changes is shown (a marker would take its place anyway)
    assert out.count('class="equal"') <= 2 < out.count('class="delete"')


def test_ignore_options_make_texts_equal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("We Share DATA, sometimes.\n", encoding="utf-8")
    b.write_text("we share data sometimes\n", encoding="utf-8")
    assert run(capsys, "diff", str(a), str(b))[0] == 1
    assert run(capsys, "diff", str(a), str(b), "--ignore-case")[0] == 1
    assert run(capsys, "diff", str(a), str(b), "--ignore-case", "--ignore-punctuation")[0] == 0


def test_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "diff", str(tmp_path / "missing.md"), str(BEFORE))
    assert code == 2 and out == "" and "missing.md: no such file" in err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("donn\xe9es".encode("latin-1"))
    code, _, err = run(capsys, "diff", str(bad), str(BEFORE))
    assert code == 2 and "not UTF-8" in err
    code, _, err = run(capsys, "diff", str(tmp_path), str(BEFORE))
    assert code == 2 and "not a regular file" in err


def tinder_archive(root: Path) -> None:
    """An archive holding three Tinder captures with their reference texts."""
    with Archive.open(root) as arc:
        policy = arc.ensure_policy(TINDER_URL)
        for ts in ("20240531183348", "20250417003349", "20250417123351"):
            text = (TINDER / f"{ts}.ref.md").read_text(encoding="utf-8")
            capture = Capture(
                id=0,
                policy_id=0,
                source=Source.FILE,
                timestamp=ts,
                original_url=TINDER_URL,
                content_type="text/html",
            )
            extraction = Extraction(
                text=text, text_sha256=text_sha256(text), extractor_version="test", words=len(text.split())
            )
            arc.add_capture(policy, capture, (TINDER / f"{ts}.html").read_bytes(), extraction)


def test_archived_versions_by_url_and_timestamp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "archive"
    tinder_archive(root)
    archive = str(root)
    # the version in force at a time; a prefix of a capture time picks that capture
    code, out, err = run(capsys, "--archive", archive, "diff", f"{TINDER_URL}@2024", str(BEFORE))
    assert (code, out, err) == (0, "", "")
    code, out, err = run(capsys, "--archive", archive, "diff", f"{TINDER_URL}@2025-04-16", str(BEFORE))
    assert (code, out, err) == (0, "", "")
    code, out, _ = run(
        capsys,
        "--archive",
        archive,
        "diff",
        f"{TINDER_URL}@2024",
        f"{TINDER_URL}@20250417003349",
        "--format",
        "json",
    )
    assert code == 1
    direct = run(capsys, "diff", str(BEFORE), str(PARTIAL), "--format", "json")[1]
    assert json.loads(out) == json.loads(direct)
    # URL variants name the same policy; 12:00 on that day is still the partial capture
    code, out, _ = run(
        capsys, "--archive", archive, "diff", "policies.tinder.com/privacy/@202504171200", str(PARTIAL)
    )
    assert code == 0


def test_archived_version_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "archive"
    tinder_archive(root)
    archive = str(root)
    code, _, err = run(capsys, "--archive", archive, "diff", f"{TINDER_URL}@2019", str(BEFORE))
    assert code == 2 and "no version at or before 2019" in err
    code, _, err = run(
        capsys, "--archive", archive, "diff", "https://unknown.example/privacy@2020", str(BEFORE)
    )
    assert code == 2 and err.startswith("policydiff: ") and "Traceback" not in err
    code, _, err = run(capsys, "--archive", archive, "diff", f"{TINDER_URL}@201", str(BEFORE))
    assert code == 2 and "bad date" in err

"""The archive commands end to end: import, versions, policies, verify, and their bad-input messages."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.models import Extraction
from archiver.storage import SCHEMA_VERSION, Archive, text_sha256

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"
SEED = DATA / "000_f3b110e2aecbbe7d.txt"
INDEX = json.loads((DATA / "corpus" / "index.json").read_text())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_seed_then_versions_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(tmp_path / "A")
    code, out, err = run(capsys, "--archive", a, "import", str(SEED))
    assert code == 0, err
    assert "20190310192643" in out
    code, out, err = run(
        capsys, "--archive", a, "versions", "http://www.cacuqecig.com/help/warranty.html", "--json"
    )
    assert code == 0, err
    versions = json.loads(out)
    assert len(versions) == 1
    v = versions[0]
    assert v["timestamp"] == "20190310192643"
    assert v["sha256"] is None  # text only: the corpus has no raw bytes
    assert v["source"] == "pllc" and v["words"] > 300 and len(v["text_sha256"]) == 64
    assert "text-only" in v["flags"]
    assert v["url"] == "https://www.cacuqecig.com/help/warranty.html"
    # provenance says where the text came from
    assert "web.archive.org/web/20190310192643id_/" in v["captures"][0]["memento_url"]
    # URL variants match the same policy
    for variant in ("cacuqecig.com/help/warranty.html/", "https://cacuqecig.com/help/warranty.html#x"):
        code, out, _ = run(capsys, "--archive", a, "versions", variant, "--json")
        assert code == 0 and json.loads(out)[0]["timestamp"] == "20190310192643"


def test_import_github_captures_byte_exact_and_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = str(tmp_path / "A")
    entries = [e for e in INDEX if e["slug"] == "github-privacy"]
    assert len(entries) == 5
    for e in entries:
        code, _, err = run(
            capsys,
            "--archive",
            a,
            "import",
            str(DATA / "corpus" / e["file"]),
            "--url",
            e["url"],
            "--date",
            e["timestamp"],
        )
        assert code == 0, err
    with Archive.open(a) as arc:
        policy = arc.get_policy(entries[0]["url"])
        caps = arc.captures(policy.id)
        assert [(c.timestamp, c.sha256) for c in caps] == [(e["timestamp"], e["sha256"]) for e in entries]
        for c in caps:
            assert hashlib.sha256(arc.read_body(c)).hexdigest() == c.sha256
    # again: nothing new
    for e in entries:
        code, out, _ = run(
            capsys,
            "--archive",
            a,
            "import",
            str(DATA / "corpus" / e["file"]),
            "--url",
            e["url"],
            "--date",
            e["timestamp"],
        )
        assert code == 0 and out.startswith("already")
    code, out, _ = run(capsys, "--archive", a, "policies", "--json")
    assert json.loads(out)[0]["captures"] == 5


def test_verify_detects_one_flipped_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(tmp_path / "A")
    entries = [e for e in INDEX if e["slug"] == "tinder-privacy"][:3]
    for e in entries:
        assert (
            run(
                capsys,
                "--archive",
                a,
                "import",
                str(DATA / "corpus" / e["file"]),
                "--url",
                e["url"],
                "--date",
                e["timestamp"],
            )[0]
            == 0
        )
    code, out, err = run(capsys, "--archive", a, "verify")
    assert code == 0 and "OK" in err
    with Archive.open(a) as arc:
        victim = arc.captures(arc.get_policy(entries[1]["url"]).id)[1]
        path = arc.blob_path(victim.sha256 or "")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))
    code, out, err = run(capsys, "--archive", a, "verify", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert [p["capture_id"] for p in report["problems"]] == [victim.id]
    assert victim.timestamp in report["problems"][0]["problem"]


def test_bad_input_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(tmp_path / "A")
    assert run(capsys, "--archive", a, "import", str(SEED))[0] == 0

    code, _, err = run(
        capsys, "--archive", a, "import", str(tmp_path / "missing.html"), "--url", "https://x.org/p"
    )
    assert code == 1 and "no such file" in err

    bad_header = tmp_path / "bad.txt"
    bad_header.write_text(
        "> *The following text is extracted from something archived on 2019-01-01 without a /web/ link.*\n\n# Hi\n"
    )
    code, _, err = run(capsys, "--archive", a, "import", str(bad_header))
    assert code == 1 and "Princeton-Leuven header" in err

    html = DATA / "corpus/tinder-privacy/20220407003230.html"
    code, _, err = run(capsys, "--archive", a, "import", str(html), "--url", "mailto:someone@example.com")
    assert code == 2 and "not a web page URL" in err

    code, _, err = run(capsys, "--archive", a, "import", str(html))
    assert code == 2 and "--url" in err

    code, _, err = run(
        capsys, "--archive", a, "import", str(html), "--url", "https://x.org/p", "--date", "2020-13"
    )
    assert code == 2 and "bad date" in err

    code, _, err = run(capsys, "--archive", a, "versions", "https://never-tracked.example/privacy")
    assert code == 1 and "no policy" in err and "\n" not in err.strip()

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run(capsys, "--archive", str(blocker / "sub"), "policies")
    assert code == 1 and "cannot write to the archive" in err

    # a newer schema: refused, and the archive is untouched
    db = Path(a) / "archive.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    code, _, err = run(capsys, "--archive", a, "versions", "cacuqecig.com/help/warranty.html")
    assert code == 1 and "upgrade policydiff" in err
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    code, out, _ = run(capsys, "--archive", a, "versions", "cacuqecig.com/help/warranty.html", "--json")
    assert code == 0 and len(json.loads(out)) == 1  # nothing archived was lost


def test_usage_errors_exit_2_and_help_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2  # argparse's exit is returned as main's code
    for argv in (["--help"], ["import", "--help"], ["versions", "--help"], ["verify", "--help"]):
        assert main(argv) == 0
    assert "policydiff" in capsys.readouterr().out


def test_archive_location_from_environment(tmp_path: Path) -> None:
    env = {**os.environ, "POLICYDIFF_ARCHIVE": str(tmp_path / "env-archive")}
    result = subprocess.run(
        [sys.executable, "-m", "archiver", "import", str(SEED)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env-archive" / "archive.sqlite3").exists()


def test_reextract_replaces_outdated_texts_and_names_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an extractor upgrade: old texts replaced from the kept bytes, changes and failures named."""
    a = str(tmp_path / "A")
    entries = [e for e in INDEX if e["slug"] == "github-privacy"][:3]
    for e in entries:
        argv = ["--archive", a, "import", str(DATA / "corpus" / e["file"]), "--url", e["url"]]
        assert run(capsys, *argv, "--date", e["timestamp"])[0] == 0
    with Archive.open(a) as arc:
        policy = arc.get_policy(entries[0]["url"])
        caps = arc.captures(policy.id)
        good = [arc.extraction(c.id) for c in caps]
        # what an older extractor left: another version string; one of them a different text
        stale = Extraction(
            text="old text", text_sha256=text_sha256("old text"), extractor_version="extract-0", words=2
        )
        arc.set_extraction(caps[0].id, stale)
        for c, ex in zip(caps[1:], good[1:], strict=True):
            assert ex is not None
            arc.set_extraction(c.id, replace(ex, extractor_version="extract-0"))
        bodies = {c.sha256: arc.read_body(c) for c in caps}
        damaged = arc.blob_path(caps[2].sha256 or "")
    damaged.write_bytes(damaged.read_bytes()[:-10])
    with Archive.open(a) as arc:
        before = [arc.extraction(c.id) for c in caps]
    code, out, err = run(capsys, "--archive", a, "reextract")  # first a report: nothing changes
    assert code == 1, err  # one capture could not be read again
    lines = out.splitlines()
    assert lines[0].startswith(f"would change  {policy.url} @ {caps[0].timestamp} (version 1: 2 → ")
    assert lines[1].startswith(f"failed        {policy.url} @ {caps[2].timestamp} (version ")
    assert "verify" in lines[1] and len(lines) == 2  # same text, new extractor version: not a change
    assert "3 of 3 capture(s) out of date" in err and "1 text(s) would change" in err
    assert "nothing was changed" in err and "--apply" in err
    with Archive.open(a) as arc:
        assert [arc.extraction(c.id) for c in caps] == before
    code, out, err = run(capsys, "--archive", a, "reextract", "--apply")
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith(f"changed       {policy.url} @ {caps[0].timestamp} (version 1: 2 → ")
    assert lines[1].startswith("failed ") and len(lines) == 2
    assert "1 text(s) changed" in err and "stored" in err
    with Archive.open(a) as arc:
        after = [arc.extraction(c.id) for c in caps]
        assert after[0] == good[0] and after[1] == good[1]
        assert after[2] is not None and after[2].extractor_version == "extract-0"  # kept, not lost
        assert arc.read_body(caps[0]) == bodies[caps[0].sha256]
    # run again: only the damaged one is left to do; up-to-date captures are not even read
    with Archive.open(a) as arc:
        up_to_date = arc.blob_path(caps[1].sha256 or "")
    up_to_date.write_bytes(b"damaged after its text was made")
    code, out, _ = run(capsys, "--archive", a, "reextract")
    assert code == 1 and out.count("\n") == 1 and out.startswith("failed")


def test_policies_lists_an_idn_url_as_typed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "p.html"
    page.write_text("<h1>Datenschutz</h1><p>" + "Wir schützen Ihre Daten. " * 60 + "</p>", encoding="utf-8")
    a = str(tmp_path / "A")
    url = "https://bücher.de/datenschutz"
    assert run(capsys, "--archive", a, "import", str(page), "--url", url, "--date", "20240101")[0] == 0
    code, out, _ = run(capsys, "--archive", a, "policies")
    assert code == 0 and out.rstrip().endswith(url)
    code, out, _ = run(capsys, "--archive", a, "policies", "--json")
    assert json.loads(out)[0]["url"] == "https://xn--bcher-kva.de/datenschutz"  # data stays canonical

# ruff: noqa: F811  (corpus_archive is a pytest fixture imported from exports_support)
"""Dataset exports: CSV and JSON Lines rows per version, Open Terms Archive layout, Princeton-Leuven
round trip."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from exports_support import GITHUB, corpus_archive  # noqa: F401

from archiver.cli import main as cli_main
from archiver.diffing import diff_texts
from archiver.exports.datasets import COLUMNS, export_csv, export_jsonl, export_ota, export_pllc, iso_basic
from archiver.exports.manifest import verify_export
from archiver.models import Capture, Source, baseline
from archiver.pipeline import import_paths, store_capture
from archiver.storage import Archive


def test_csv_and_jsonl_have_one_row_per_version(corpus_archive: Path, tmp_path: Path) -> None:
    with Archive.open(corpus_archive) as archive:
        policies = archive.policies()
        versions = {p.url: archive.versions(p.id) for p in policies}
        export_csv(archive, policies, tmp_path / "v.csv")
        export_jsonl(archive, policies, tmp_path / "v.jsonl")
        github = versions[GITHUB]
        second_stats = diff_texts(
            archive.text(github[0].text_sha256), archive.text(github[1].text_sha256)
        ).stats
    with (tmp_path / "v.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    lines = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert len(rows) == len(lines) == sum(len(v) for v in versions.values())
    assert tuple(rows[0]) == COLUMNS and tuple(lines[0]) == COLUMNS
    gh_rows = [r for r in rows if r["policy_url"] == GITHUB]
    gh_lines = [r for r in lines if r["policy_url"] == GITHUB]
    assert [r["timestamp"] for r in gh_rows] == [v.timestamp for v in versions[GITHUB]]
    first, second = gh_lines[0], gh_lines[1]
    assert (
        first["words_added"] is None
        and first["change_window_start"] is None
        and gh_rows[0]["words_added"] == ""
    )
    assert (
        second["words_added"] == second_stats.words_added
        and second["words_removed"] == second_stats.words_removed
    )
    assert (
        second["changed_share"] == round(second_stats.changed_ratio, 6) and 0 < second["changed_share"] <= 1
    )
    assert second["change_window_start"] == versions[GITHUB][1].previous_capture.timestamp  # type: ignore[union-attr]
    assert second["change_window_end"] == versions[GITHUB][1].timestamp
    assert second["sha256"] == [c.sha256 for c in versions[GITHUB][1].captures]
    assert gh_rows[1]["sha256"] == ";".join(second["sha256"])
    assert int(gh_rows[1]["words_added"]) == second_stats.words_added
    assert verify_export(tmp_path / "v.csv").ok and verify_export(tmp_path / "v.jsonl").ok


def test_ota_layout(corpus_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "ota"
    with Archive.open(corpus_archive) as archive:
        policy = archive.get_policy(GITHUB)
        result = export_ota(archive, [policy], out)
        versions = archive.versions(policy.id)
        texts = [archive.text(v.text_sha256) for v in versions]
    expected = [out / "docs.github.com" / "Privacy Policy" / f"{iso_basic(v.timestamp)}.md" for v in versions]
    assert list(result.files) == expected
    assert [p.read_text(encoding="utf-8") for p in expected] == texts
    assert iso_basic("20230425183000") == "20230425T183000Z"
    assert (out / "manifest.json").is_file() and verify_export(out).ok


def test_pllc_export_imports_back_to_the_same_versions(corpus_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "pllc"
    with Archive.open(corpus_archive) as archive:
        policies = archive.policies()
        result = export_pllc(archive, policies, out)
        before = {p.url: [(v.timestamp, v.text_sha256) for v in archive.versions(p.id)] for p in policies}
    with Archive.open(tmp_path / "again") as again:
        imported = list(import_paths(again, [str(f) for f in result.files]))
        assert not [r.error for r in imported if r.error]
        after = {
            p.url: [(v.timestamp, v.text_sha256) for v in again.versions(p.id)] for p in again.policies()
        }
    assert after == before


def test_cli_export_all_formats(
    corpus_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--archive", str(corpus_archive), "export", "--all", "--json"]
    for flag, name in (("--csv", "a.csv"), ("--jsonl", "a.jsonl"), ("--ota", "ota"), ("--pllc", "pllc")):
        args += [flag, str(tmp_path / name)]
    assert cli_main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [s["format"] for s in summary] == ["csv", "jsonl", "ota", "pllc"]
    assert all(verify_export(Path(s["manifest"])).ok for s in summary)
    assert cli_main(["--archive", str(corpus_archive), "export", GITHUB]) == 2
    assert "choose at least one of --warc" in capsys.readouterr().err


def test_an_error_page_between_two_texts_is_no_deletion_in_the_dataset(tmp_path: Path) -> None:
    """Researchers' numbers match the app: a 404 captured between two versions gets no statistics,
    and the next text is measured against the last real text, not as the whole policy re-added."""
    corpus = Path(__file__).parents[1] / "data" / "corpus" / "tinder-privacy"
    url = "https://policies.tinder.com/privacy/intl/en"
    steps = [
        ("20220407003230", (corpus / "20220407003230.html").read_bytes(), 200),
        ("20220901000000", b"<html><body><h1>404 Not Found</h1><p>No such page.</p></body></html>", 404),
        ("20230120003318", (corpus / "20230120003318.html").read_bytes(), 200),
    ]
    with Archive.open(tmp_path / "a") as archive:
        policy = archive.ensure_policy(url)
        for ts, body, status in steps:
            capture = Capture(
                id=0, policy_id=0, source=Source.WAYBACK, timestamp=ts, original_url=url,
                content_type="text/html", http_status=status,
            )  # fmt: skip
            store_capture(archive, policy, capture, body)
        versions = archive.versions(policy.id)
        real_edit = diff_texts(
            archive.text(versions[0].text_sha256), archive.text(versions[2].text_sha256)
        ).stats
        export_jsonl(archive, [policy], tmp_path / "v.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert [r["version"] for r in rows] == [1, 2, 3] and "error-page" in rows[1]["flags"]
    assert rows[1]["words_added"] is None and rows[1]["words_removed"] is None
    assert rows[2]["compared_with"] == 1 == baseline(versions, 2) + 1  # type: ignore[operator]
    assert (rows[2]["words_added"], rows[2]["words_removed"]) == (
        real_edit.words_added,
        real_edit.words_removed,
    )
    assert rows[2]["words_removed"] < versions[0].words / 2  # an edit, not the policy deleted and back


def test_csv_cells_that_look_like_formulas_are_neutralised_and_pllc_links_keep_parentheses(
    tmp_path: Path,
) -> None:
    from archiver.exports.datasets import _cell
    from archiver.pllc import format_pllc, parse_pllc

    assert [_cell(v) for v in ("=HYPERLINK(1)", "+1", "-2", "@x", "Privacy", 3, None)] == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-2",
        "'@x",
        "Privacy",
        3,
        "",
    ]
    for url in ("https://example.com/privacy_(EU)", "https://example.com/a%2Fb?x=(1) y"):
        assert parse_pllc(format_pllc(url, "20200101000000", "text")).url == url


def test_folder_exports_list_every_file_they_leave(corpus_archive: Path, tmp_path: Path) -> None:
    """An export folder verifies: a folder with other files is refused without --force; with it, the
    files of the earlier export there that this one does not write again are removed."""
    from archiver.exports.manifest import verify_export

    out = tmp_path / "ota"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    args = ["--archive", str(corpus_archive), "export", "--all", "--ota", str(out)]
    assert cli_main(args) == 1  # not empty: refused, nothing written
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    (out / "notes.txt").unlink()
    assert cli_main(args) == 0 and verify_export(out).ok
    stale = out / "Old service" / "Privacy Policy" / "20000101T000000Z.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier export")
    manifest = out / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["files"].append(
        {"path": "Old service/Privacy Policy/20000101T000000Z.md", "sha256": "0" * 64, "bytes": 1}
    )
    manifest.write_text(json.dumps(doc))
    assert cli_main([*args, "--force"]) == 0
    assert not stale.exists() and verify_export(out).ok


def test_two_versions_at_the_same_second_get_distinct_files() -> None:
    from archiver.exports.output import _distinct

    files = [
        (("S", "Privacy Policy", "20200101T000000Z.md"), b"a"),
        (("S", "Privacy Policy", "20200101T000000Z.md"), b"b"),
    ]
    files.append((("manifest.json", "Privacy Policy", "x.md"), b"c"))
    names = ["/".join(parts) for parts, _ in _distinct(files)]
    assert names == [
        "S/Privacy Policy/20200101T000000Z.md",
        "S/Privacy Policy/20200101T000000Z-2.md",
        "_manifest.json/Privacy Policy/x.md",
    ]

"""Issue 18, part 6: a version is a change of words; the diff treats space-like characters as spaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.cli import main
from archiver.diffing import RowKind, diff_texts
from archiver.pipeline import import_paths
from archiver.sametext import as_spaces, same_text
from archiver.storage import Archive

V1 = "# Privacy\n\nWe keep your data for 30 days.\n\nWe never sell it.\n"
V1_NBSP = "# Privacy\n\nWe keep your data for 30\u00a0days.\n\nWe\u2009never sell it.\n"
V1_ONE_PARAGRAPH = "# Privacy\n\nWe keep your data for 30 days.\nWe never sell it.\n"
V2 = "# Privacy\n\nWe keep your data for 60 days.\n\nWe never sell it.\n"


def test_space_like_characters_are_spaces_in_the_diff() -> None:
    result = diff_texts(V1, V1_NBSP)
    assert result.stats.words_added == result.stats.words_removed == 0
    assert all(row.kind is RowKind.EQUAL for row in result.rows)  # no invisible "replace" block
    assert as_spaces("a\u00a0b\u3000c") == "a b c" and len(as_spaces("\u202f")) == 1


def test_captures_that_differ_only_in_layout_are_one_version(tmp_path: Path) -> None:
    assert same_text(V1, V1_NBSP) and same_text(V1, V1_ONE_PARAGRAPH) and not same_text(V1, V2)
    paths = []
    for name, text in (("a.md", V1), ("b.md", V1_NBSP), ("c.md", V1_ONE_PARAGRAPH), ("d.md", V2)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
    with Archive.open(tmp_path / "A") as archive:
        for year, path in zip(("2020", "2021", "2022", "2023"), paths, strict=True):
            [r] = import_paths(archive, [str(path)], url="https://e.com/p", date=year)
            assert r.capture is not None, r.error
        policy = archive.get_policy("https://e.com/p")
        versions = archive.versions(policy.id)
        assert [len(v.captures) for v in versions] == [3, 1]
        assert policy.versions == 2  # the listing's count agrees with versions()
        first = versions[0]
        assert archive.text(first.text_sha256) == V1  # the first capture's layout is kept
        # a no-break space is already a space in the stored text; the joined paragraph is layout
        assert first.layout_only == ("20220101000000",)
        assert versions[1].layout_only == ()


def test_versions_says_when_only_the_layout_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = str(tmp_path / "A")
    for year, text in (("2020", V1), ("2021", V1_ONE_PARAGRAPH)):
        path = tmp_path / f"{year}.md"
        path.write_text(text, encoding="utf-8")
        assert main(["--archive", a, "import", str(path), "--url", "https://e.com/p", "--date", year]) == 0
    capsys.readouterr()
    assert main(["--archive", a, "versions", "https://e.com/p"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line[:1].isdigit()]
    assert len(rows) == 1 and "layout only changed at 2021-01-01 00:00:00" in rows[0]

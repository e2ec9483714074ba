# ruff: noqa: F811  (corpus_archive is a pytest fixture imported from exports_support)
"""Paths built from URLs and labels never leave the export folder; exports never overwrite without force."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from exports_support import GITHUB, WAYBACK_URL, corpus_archive  # noqa: F401

from archiver.cli import main as cli_main
from archiver.errors import ArchiverError
from archiver.exports.datasets import export_ota, export_pllc
from archiver.exports.paths import (
    MAX_COMPONENT_BYTES,
    ExportExistsError,
    UnsafePathError,
    safe_component,
    safe_join,
    url_slug,
    write_file,
)
from archiver.storage import Archive

HOSTILE = [
    "..",
    ".",
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows\\system32",
    "\\\\server\\share",
    "CON",
    "nul.txt",
    "Com1.md",
    "lpt9",
    "a\x00b",
    "tab\there\nnewline",
    'what?<>:"|*',
    " . trailing dots and spaces . ",
    "é" * 300,
    "x" * 1000,
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_component_is_one_portable_name(text: str, tmp_path: Path) -> None:
    name = safe_component(text)
    assert name and name not in (".", "..")
    assert not set(name) & set('/\\<>:"|?*\x00\t\n')
    assert name == name.strip(" .")
    assert name.split(".")[0].upper() not in {"CON", "NUL", "COM1", "LPT9", "PRN", "AUX"}
    assert len(name.encode("utf-8")) <= MAX_COMPONENT_BYTES
    target = safe_join(tmp_path, name)
    assert target.parent == tmp_path.resolve()
    target.write_text("ok")  # the file system accepts it


def test_long_names_stay_distinct() -> None:
    a, b = safe_component("x" * 500 + "a"), safe_component("x" * 500 + "b")
    assert a != b and len(a.encode()) <= MAX_COMPONENT_BYTES


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/../../../../etc/passwd",
        "https://example.com/%2e%2e/%2e%2e/secret",
        "https://example.com/a/..%2f..%2f..%2fb?x=../../y",
        "https://CON/nul",
        "https://example.com/" + "very-long-segment/" * 50,
        "file:///etc/passwd",
        "https://例え.テスト/プライバシー",
    ],
)
def test_url_slugs_stay_inside(url: str, tmp_path: Path) -> None:
    slug = url_slug(url)
    target = safe_join(tmp_path, slug, "20240101T000000Z.md")
    assert target.resolve().is_relative_to(tmp_path.resolve())
    assert len(slug.encode()) <= MAX_COMPONENT_BYTES


def test_distinct_urls_that_clean_alike_get_distinct_slugs() -> None:
    assert url_slug("https://example.com/a?b") != url_slug("https://example.com/a_b")
    assert url_slug("https://example.com/privacy") == "example.com_privacy"


@pytest.mark.parametrize("parts", [("..",), ("a", ".."), ("/abs",), ("a/b",), ("",), ("a\\b",)])
def test_safe_join_refuses_escapes(parts: tuple[str, ...], tmp_path: Path) -> None:
    with pytest.raises(UnsafePathError, match="leave the export folder"):
        safe_join(tmp_path, *parts)


def test_safe_join_refuses_symlinks_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        safe_join(root, "link", "file.md")


def test_write_file_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    write_file(target, b"one", force=False)
    with pytest.raises(ExportExistsError, match="--force"):
        write_file(target, b"two", force=False)
    assert target.read_bytes() == b"one"
    write_file(target, b"two", force=True)
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]  # no temp files left


def test_an_export_killed_mid_write_leaves_no_file_and_its_temp_is_cleaned_next_time(tmp_path: Path) -> None:
    """SIGKILL while the bytes are being written: no half file under the real name; the orphaned
    temp file goes on the next export there, while a live writer's temp file is left alone."""
    target = tmp_path / "all.warc.gz"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "import archiver.exports.paths as paths\n"
        "def die(fd):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "os.fsync = die\n"
        f"paths.write_file(Path({str(target)!r}), b'x' * 1_000_000, force=False)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert not target.exists()
    (orphan,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    live = tmp_path / f".all.warc.gz.{os.getppid()}.tmp"  # the test runner's parent: alive
    live.write_bytes(b"busy")
    write_file(target, b"whole", force=False)
    assert target.read_bytes() == b"whole"
    assert not orphan.exists() and live.exists()


def test_a_full_disk_mid_export_leaves_no_file_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    target = tmp_path / "report.pdf"
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ArchiverError, match=f"cannot write {target}: No space left on device"):
        write_file(target, b"x" * 10_000, force=True)
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temp


def test_hostile_labels_stay_inside_the_ota_folder(corpus_archive: Path, tmp_path: Path) -> None:
    copy = tmp_path / "archive"
    import shutil

    shutil.copytree(corpus_archive, copy)
    with Archive.open(copy) as archive:
        policy = archive.get_policy(WAYBACK_URL)
        archive.set_label(policy.id, "../../../outside")
        github = archive.get_policy(GITHUB)
        archive.set_label(github.id, "CON")
        out = tmp_path / "ota"
        result = export_ota(archive, [archive.get_policy(WAYBACK_URL), archive.get_policy(GITHUB)], out)
    assert all(f.resolve().is_relative_to(out.resolve()) for f in result.files)
    assert not (tmp_path / "outside").exists()
    assert {f.relative_to(out).parts[0] for f in result.files} == {"_CON", "_.._.._outside"}


def test_folder_exports_refuse_to_overwrite_anything(corpus_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "pllc"
    with Archive.open(corpus_archive) as archive:
        policies = [archive.get_policy(GITHUB)]
        first = export_pllc(archive, policies, out)
        victim = first.files[0]
        victim.write_text("the user's own edit")
        with pytest.raises(ExportExistsError):
            export_pllc(archive, policies, out)
        assert victim.read_text() == "the user's own edit"  # nothing was written
        export_pllc(archive, policies, out, force=True)
        assert victim.read_text() != "the user's own edit"


def test_cli_report_refuses_to_overwrite(
    corpus_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    out.write_text("keep me")
    args = [
        "--archive",
        str(corpus_archive),
        "report",
        f"{GITHUB}@2023",
        f"{GITHUB}@2024",
        "--html",
        str(out),
    ]
    assert cli_main(args) == 2
    assert "already exists" in capsys.readouterr().err and out.read_text() == "keep me"
    assert cli_main([*args, "--force"]) == 0
    assert out.read_text() != "keep me"

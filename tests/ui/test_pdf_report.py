"""The evidence report as PDF through Qt's own writer: readable text, both sha256 values, page numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from archiver.cli import main as cli_main
from archiver.exports.manifest import verify_export
from archiver.exports.report import build_report_html
from archiver.pipeline import import_paths
from archiver.storage import Archive
from ui.launch import _write_pdf
from ui.pdf import write_pdf

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
SLUG = "tinder-privacy"


@pytest.fixture(scope="module")
def archive_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pdf-archive")
    entries = [e for e in json.loads((CORPUS / "index.json").read_text()) if e["slug"] == SLUG][:3]
    with Archive.open(root) as archive:
        for e in entries:
            results = list(
                import_paths(archive, [str(CORPUS / e["file"])], url=e["url"], date=e["timestamp"])
            )
            assert not results[0].error
    return root


def _text(path: Path) -> tuple[int, str]:
    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_has_both_hashes_and_page_numbers(archive_root: Path, tmp_path: Path, qapp: object) -> None:
    with Archive.open(archive_root) as archive:
        policy = archive.policies()[0]
        versions = archive.versions(policy.id)
        a, b = versions[0], versions[-1]
        html = build_report_html(archive, a, b)
    out = tmp_path / "report.pdf"
    write_pdf(html, out)
    assert out.read_bytes().startswith(b"%PDF-")
    pages, text = _text(out)
    flat = "".join(text.split())  # the PDF text layer may wrap or tab-separate
    assert a.first.sha256 and b.first.sha256 and a.first.sha256 != b.first.sha256
    assert a.first.sha256 in flat and b.first.sha256 in flat
    assert a.text_sha256 in flat and b.text_sha256 in flat
    assert f"Page1of{pages}" in flat and f"Page{pages}of{pages}" in flat
    words = " ".join(text.split())
    assert "Evidence report" in words and "Change window" in words


def test_cli_report_pdf_with_the_installed_pdf_writer(
    archive_root: Path, tmp_path: Path, qapp: object
) -> None:
    with Archive.open(archive_root) as archive:
        policy = archive.policies()[0]
        first, last = archive.versions(policy.id)[0], archive.versions(policy.id)[-1]
    out = tmp_path / "r.pdf"
    args = ["--archive", str(archive_root), "report", f"{policy.url}@{first.timestamp}",
            f"{policy.url}@{last.timestamp}", "--pdf", str(out)]  # fmt: skip
    assert cli_main(args, pdf_writer=_write_pdf) == 0
    _, text = _text(out)
    assert first.first.sha256 in "".join(text.split())
    assert verify_export(out).ok
    assert cli_main(args, pdf_writer=_write_pdf) == 2  # no overwrite without --force
    assert cli_main([*args, "--force"], pdf_writer=_write_pdf) == 0


def test_report_pdf_from_a_terminal_without_a_display(archive_root: Path, tmp_path: Path) -> None:
    """`policydiff report --pdf` over ssh or in a cron job: no DISPLAY, no QT_QPA_PLATFORM set."""
    with Archive.open(archive_root) as archive:
        policy = archive.policies()[0]
        first, last = archive.versions(policy.id)[0], archive.versions(policy.id)[-1]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "r.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "ui.launch", "--archive", str(archive_root), "report",
         f"{policy.url}@{first.timestamp}", f"{policy.url}@{last.timestamp}", "--pdf", str(out)],
        env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert first.first.sha256 in "".join(_text(out)[1].split())

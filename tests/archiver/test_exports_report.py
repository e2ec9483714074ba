# ruff: noqa: F811  (corpus_archive is a pytest fixture imported from exports_support)
"""The HTML evidence report: self-contained (no script, no remote reference), escaped, complete."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from exports_support import GITHUB, corpus_archive  # noqa: F401

from archiver.cli import main as cli_main
from archiver.exports.report import build_report_html
from archiver.models import Capture, Extraction, Source
from archiver.storage import Archive, text_sha256

URL_ATTRS = {"src", "href", "action", "data", "poster", "srcset", "formaction", "background", "cite"}


class _Scan(HTMLParser):
    """Parses the report as a browser would and collects everything that could load or run."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "link", "iframe", "img", "object", "embed", "frame", "base", "form"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in URL_ATTRS and not (value or "").startswith("#"):
                self.found.append(f"{tag} {name}={value}")
            if name == "style" and value and ("url(" in value or "@import" in value):
                self.found.append(f"{tag} style url")
        self.in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self.in_style and ("url(" in data or "@import" in data):
            self.found.append("stylesheet url")


def remote_references(html: str) -> list[str]:
    scan = _Scan()
    scan.feed(html)
    return scan.found


def _versions(archive: Archive) -> tuple[object, object]:
    versions = archive.versions(archive.get_policy(GITHUB).id)
    return versions[0], versions[-1]


def test_report_is_self_contained_and_complete(corpus_archive: Path) -> None:
    with Archive.open(corpus_archive) as archive:
        a, b = _versions(archive)
        html = build_report_html(archive, a, b)  # type: ignore[arg-type]
        entries, head = archive.ledger_head()
    # the local archive's ledger head as of the report: a time-stamped report carries it
    assert f"{entries} captures recorded, head sha256 <code>{head}</code>" in html and entries > 0
    assert "<script" not in html.lower() and "javascript:" not in html.lower()
    assert remote_references('<p><a href="#x">ok</a><img src="https://e.example/a.png"></p>') == [
        "<img>",
        "img src=https://e.example/a.png",
    ]  # the scanner itself finds what it should
    assert remote_references(html) == []
    assert "default-src 'none'" in html
    for value in (a.first.sha256, b.first.sha256, a.text_sha256, b.text_sha256):  # type: ignore[attr-defined]
        assert value in html
    assert "Change window" in html and b.previous_capture.timestamp[:4] in html  # type: ignore[attr-defined]
    assert "policydiff 0.1.0" in html and "Report generated" in html
    assert 'class="diff"' in html and "<del>" in html and "<ins>" in html


def test_archived_text_is_escaped(tmp_path: Path) -> None:
    hostile = [
        "# Policy\n\nWe keep data. <script>alert(1)</script>\n",
        '# Policy\n\nWe keep data. <img src="https://evil.example/x.png"> <a href="https://evil.example">x</a>\n',
    ]
    with Archive.open(tmp_path / "a") as archive:
        policy = archive.ensure_policy("https://evil.example/privacy?<b>=1")
        for ts, text in zip(("20200101000000", "20210101000000"), hostile, strict=True):
            capture = Capture(
                id=0, policy_id=0, source=Source.FILE, timestamp=ts, original_url=policy.url,
                content_type="text/html", provenance='<iframe src="https://evil.example">',
            )  # fmt: skip
            extraction = Extraction(text=text, text_sha256=text_sha256(text), extractor_version="t", words=5)
            archive.add_capture(policy, capture, text.encode(), extraction)
        a, b = archive.versions(policy.id)
        html = build_report_html(archive, a, b)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<a href" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=" in html and "&lt;iframe" in html
    assert remote_references(html) == []


def test_cli_report_html(corpus_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    args = [
        "--archive",
        str(corpus_archive),
        "report",
        f"{GITHUB}@2024",
        f"{GITHUB}@20230425",
        "--html",
        str(out),
    ]
    assert cli_main(args) == 0
    html = out.read_text(encoding="utf-8")
    assert "(older)" in html and html.index("2023-04-25 18:30:00 UTC") < html.index(
        "(older)"
    )  # sides ordered
    assert out.with_name("report.html.manifest.json").is_file()
    capsys.readouterr()
    # the PDF needs Qt, which only the installed command passes in
    assert cli_main([*args[:-2], "--pdf", str(tmp_path / "r.pdf")]) == 2
    assert "installed 'policydiff' command" in capsys.readouterr().err
    assert cli_main([*args[:4], "nonsense", "--html", str(tmp_path / "x.html")]) == 2
    assert "expected URL@TIMESTAMP" in capsys.readouterr().err

# ruff: noqa: F811  (corpus_archive is a pytest fixture imported from exports_support)
"""WACZ export: the package's parts, its index pointing at the right records, its own hashes
checked by verify-export, and import of a WACZ back into an archive."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from exports_support import GITHUB, all_captures, corpus_archive, corpus_entries  # noqa: F401
from warcio.archiveiterator import ArchiveIterator

from archiver.cli import main as cli_main
from archiver.exports.manifest import verify_export
from archiver.exports.surt import surt
from archiver.exports.wacz import INDEX_PATH, PACKAGE, PACKAGE_DIGEST, PAGES_PATH, WARC_PATH, export_wacz
from archiver.exports.warc import ascii_uri, warc_timestamp
from archiver.exports.warc_import import import_warcs
from archiver.storage import Archive


@pytest.fixture(scope="module")
def exported(corpus_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("wacz") / "all.wacz"
    with Archive.open(corpus_archive) as archive:
        result = export_wacz(archive, archive.policies(), out)
        assert result.items == len(corpus_entries()) + 1 and not result.skipped
        assert result.files == (out,) and result.manifest.is_file()
    return out


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_the_package_lists_every_file_with_its_hash_and_the_warc_is_stored_uncompressed(
    exported: Path,
) -> None:
    with zipfile.ZipFile(exported) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        assert names == {WARC_PATH, INDEX_PATH, PAGES_PATH, PACKAGE, PACKAGE_DIGEST}
        assert zf.getinfo(WARC_PATH).compress_type == zipfile.ZIP_STORED  # readers seek into it
        package_raw = zf.read(PACKAGE)
        package = json.loads(package_raw)
        # wabac.js (ReplayWeb.page) throws "Unknown package profile" for anything else
        assert package["profile"] in ("data-package", "wacz-package")
        assert package["software"].startswith("policydiff")
        listed = {r["path"]: r for r in package["resources"]}
        assert set(listed) == {WARC_PATH, INDEX_PATH, PAGES_PATH}
        for path, res in listed.items():
            data = zf.read(path)
            assert res["hash"] == _sha256(data) and res["bytes"] == len(data), path
        digest = json.loads(zf.read(PACKAGE_DIGEST))
        assert digest == {"path": PACKAGE, "hash": _sha256(package_raw)}


def test_each_index_line_points_at_its_capture_s_response_record(
    exported: Path,
    corpus_archive: Path,  # noqa: F811
) -> None:
    with zipfile.ZipFile(exported) as zf:
        warc = zf.read(WARC_PATH)
        lines = zf.read(INDEX_PATH).decode("ascii").splitlines()
        pages = [json.loads(line) for line in zf.read(PAGES_PATH).decode("utf-8").splitlines()]
    assert lines == sorted(lines)  # replay tools binary-search the index
    with Archive.open(corpus_archive) as archive:
        captures = {
            (ascii_uri(c.original_url), c.timestamp): c
            for p in archive.policies()
            for c in archive.captures(p.id)
        }
        labels = {p.id: p.label for p in archive.policies()}
    assert len(lines) == len(captures)
    seen = set()
    for line in lines:
        key, timestamp, raw = line.split(" ", 2)
        entry = json.loads(raw)
        capture = captures[(entry["url"], timestamp)]
        # the record at that offset, read alone, is this capture's response with its exact bytes
        member = warc[int(entry["offset"]) : int(entry["offset"]) + int(entry["length"])]
        record = next(iter(ArchiveIterator(io.BytesIO(gzip.decompress(member)))))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        assert warc_timestamp(record.rec_headers.get_header("WARC-Date")) == timestamp
        body = record.content_stream().read()
        assert hashlib.sha256(body).hexdigest() == capture.sha256
        assert entry["status"] == str(capture.http_status or 200)
        assert entry["mime"] == capture.content_type.split(";")[0].strip().lower()
        assert key == surt(entry["url"])  # whether pywb finds it by that key: test_exports_pywb.py
        seen.add((entry["url"], timestamp))
    assert seen == set(captures)
    header, *entries = pages
    assert header["format"] == "json-pages-1.0"
    assert sorted((p["url"], warc_timestamp(p["ts"])) for p in entries) == sorted(captures)
    by_url = {
        ascii_uri(c.original_url): labels[c.policy_id] or ascii_uri(c.original_url) for c in captures.values()
    }
    assert all(p["title"] == by_url[p["url"]] for p in entries)


def test_verify_export_checks_the_files_inside_a_wacz(exported: Path, tmp_path: Path) -> None:
    report = verify_export(exported)
    assert report.ok and report.checked == 1
    # a package whose pages were changed inside, re-zipped, with its sidecar manifest updated to match
    tampered = tmp_path / exported.name
    with zipfile.ZipFile(exported) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == PAGES_PATH:
                data = data.replace(b'"url"', b'"url" ', 1)
            dst.writestr(info, data)
    manifest = json.loads(exported.with_name(exported.name + ".manifest.json").read_text())
    new = tampered.read_bytes()
    manifest["files"][0].update(sha256=hashlib.sha256(new).hexdigest(), bytes=len(new))
    tampered.with_name(tampered.name + ".manifest.json").write_text(json.dumps(manifest))
    report = verify_export(tampered)
    assert not report.ok
    assert report.problems == (
        f"{tampered.name}: {PAGES_PATH} changed (its hash or size differs from {PACKAGE})",
    )


def _rezip(src: Path, dst: Path, change: dict[str, bytes | None], method: int | None = None) -> Path:
    """A copy of the package ``src`` with members replaced, added or (None) left out."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename not in change:
                zout.writestr(info, zin.read(info))
        for name, data in change.items():
            if data is not None:
                zout.writestr(name, data, compress_type=method)
    return dst


def test_a_file_added_to_a_wacz_or_a_malformed_package_is_named(exported: Path, tmp_path: Path) -> None:
    from archiver.exports.wacz import check_wacz

    added = _rezip(exported, tmp_path / "added.wacz", {"indexes/extra.cdx": b"com,evil)/ 2024 {}\n"})
    assert check_wacz(added) == [f"added.wacz: indexes/extra.cdx is not listed in {PACKAGE} (added later)"]
    listy = _rezip(exported, tmp_path / "listy.wacz", {PACKAGE_DIGEST: b"[]"})
    assert check_wacz(listy) == [f"listy.wacz: {PACKAGE} changed (its hash differs from {PACKAGE_DIGEST})"]
    norsc = _rezip(exported, tmp_path / "norsc.wacz", {PACKAGE: b'{"profile": "data-package"}'})
    assert check_wacz(norsc) == [f"norsc.wacz: {PACKAGE} lists no resources (not a WACZ package)"]
    # damaged deflate data inside the ZIP: a message, not a zlib traceback
    broken = tmp_path / "broken.wacz"
    raw = bytearray(exported.read_bytes())
    with zipfile.ZipFile(exported) as zf:
        info = zf.getinfo(PAGES_PATH)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start : start + 8] = b"\xff" * 8
    broken.write_bytes(bytes(raw))
    (problem,) = check_wacz(broken)
    assert problem.startswith("broken.wacz: not a readable WACZ package (")


def test_a_file_that_is_not_a_wacz_is_named(tmp_path: Path) -> None:
    from archiver.exports.wacz import check_wacz

    bad = tmp_path / "x.wacz"
    bad.write_bytes(b"PK\x03\x04 not really")
    (problem,) = check_wacz(bad)
    assert problem.startswith("x.wacz: not a readable WACZ package")
    with Archive.open(tmp_path / "a") as archive:
        results = import_warcs(archive, [str(bad)])
        assert [r.error for r in results] == [f"{bad}: not a readable WACZ package (File is not a zip file)"]
        # a multi-WACZ download holds packages, not WARCs: say what to do
        multi = tmp_path / "multi.wacz"
        with zipfile.ZipFile(multi, "w") as zf:
            zf.writestr("datapackage.json", b"{}")
            zf.writestr("crawl-1.wacz", b"")
        (result,) = import_warcs(archive, [str(multi)])
        assert result.error.endswith("it holds other WACZ files (crawl-1.wacz…): unzip it and import those")
        assert archive.policies() == []


def test_a_warc_that_would_inflate_a_thousandfold_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.wacz"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("archive/data.warc", "w") as fh:
            for _ in range(128):
                fh.write(b"\0" * (1 << 20))  # 128 MiB of zeros, a few hundred KB stored
    with Archive.open(tmp_path / "a") as archive:
        (result,) = import_warcs(archive, [str(bomb)])
    assert "archive/data.warc would inflate from" in result.error and "ZIP bomb" in result.error
    assert not list(Path(tempfile.gettempdir()).glob("policydiff-wacz-*/data.warc"))


def test_a_revisit_in_one_warc_of_a_package_finds_its_original_in_another(tmp_path: Path) -> None:
    from pywb_support import WarcCapture, write_warc

    url, body = (
        "https://example.org/privacy",
        b"<html><body><h1>Privacy</h1><p>" + b"We keep data. " * 40 + b"</p>",
    )
    first = write_warc(tmp_path / "a.warc.gz", [WarcCapture(url, "20240101000000", body)])
    second = write_warc(
        tmp_path / "b.warc.gz",
        [WarcCapture(url, "20240601000000", body, revisit_of=(url, "20240101000000", body))],
    )
    package = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(package, "w") as zf:
        zf.write(first, "archive/a.warc.gz")
        zf.write(second, "archive/b.warc.gz")
    with Archive.open(tmp_path / "x") as archive:
        results = import_warcs(archive, [str(package)])
        assert [(r.created, r.error, r.warning) for r in results] == [(True, "", "")] * 2
        (policy,) = archive.policies()
        stored = archive.captures(policy.id)
        assert [c.timestamp for c in stored] == ["20240101000000", "20240601000000"]
        assert all(archive.read_body(c) == body for c in stored)
        assert stored[0].provenance.endswith("of crawl.wacz/archive/a.warc.gz")


@pytest.mark.slow
def test_importing_the_wacz_gives_back_the_same_captures(
    exported: Path,
    corpus_archive: Path,
    tmp_path: Path,  # noqa: F811
) -> None:
    with Archive.open(corpus_archive) as original, Archive.open(tmp_path / "again") as again:
        results = import_warcs(again, [str(exported)])
        assert not [r.error for r in results if r.error]
        assert sum(r.created for r in results) == len(corpus_entries()) + 1
        assert all(r.path.startswith(f"{exported}/{WARC_PATH}#") for r in results)
        assert all_captures(again) == all_captures(original)


def test_cli_exports_and_imports_a_wacz(
    corpus_archive: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # noqa: F811
) -> None:
    out = tmp_path / "github.wacz"
    assert cli_main(["--archive", str(corpus_archive), "export", GITHUB, "--wacz", str(out)]) == 0
    assert f"wrote wacz  {out}" in capsys.readouterr().out
    assert cli_main(["verify-export", str(out)]) == 0
    assert cli_main(["--archive", str(tmp_path / "b"), "import", str(out), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len([e for e in corpus_entries() if e.url == GITHUB])
    assert all(r["created"] and r["capture"]["url"] == GITHUB for r in rows)

# ruff: noqa: F811  (corpus_archive is a pytest fixture imported from exports_support)
"""WARC 1.1 export (warcio check, record fields, provenance) and import (ours and other tools')."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from exports_support import (  # noqa: F401  (corpus_archive is a fixture)
    GITHUB,
    WAYBACK_BODY,
    WAYBACK_TS,
    WAYBACK_URL,
    all_captures,
    corpus_archive,
    corpus_entries,
)
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.cli import main as cli_main
from archiver.exports.paths import ExportExistsError
from archiver.exports.warc import ascii_uri, export_warc
from archiver.exports.warc_import import import_warcs
from archiver.models import Capture, Extraction, Source
from archiver.storage import Archive, text_sha256


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    warcio = Path(sys.executable).with_name("warcio")
    cmd = [str(warcio)] if warcio.exists() else [sys.executable, "-m", "warcio.cli"]
    return subprocess.run([*cmd, "check", "-v", str(path)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def exported(corpus_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("warc") / "all.warc.gz"
    with Archive.open(corpus_archive) as archive:
        result = export_warc(archive, archive.policies(), out)
        assert result.items == len(corpus_entries()) + 1 and not result.skipped
    return out


def test_warcio_check_passes_on_the_export(exported: Path) -> None:
    done = warcio_check(exported)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("digest pass") == 1 + 2 * (len(corpus_entries()) + 1)  # warcinfo + pairs


def test_response_records_carry_original_url_capture_time_and_exact_bytes(exported: Path) -> None:
    expected = {(e.url, e.timestamp): e for e in corpus_entries()}
    seen = set()
    with exported.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            h = rec.rec_headers
            assert h.protocol == "WARC/1.1"
            if rec.rec_type != "response":
                continue
            url, date = h.get_header("WARC-Target-URI"), h.get_header("WARC-Date")
            ts = date.replace("-", "").replace(":", "").replace("T", "").rstrip("Z")
            body = rec.raw_stream.read()
            digest = hashlib.sha256(body).digest()
            assert h.get_header("WARC-Payload-Digest") == "sha256:" + base64.b32encode(digest).decode()
            assert h.get_header("WARC-Block-Digest", "").startswith("sha256:")
            if (url, ts) in expected:
                assert digest.hex() == expected[(url, ts)].sha256
                seen.add((url, ts))
            else:
                assert (url, ts) == (WAYBACK_URL, WAYBACK_TS) and body == WAYBACK_BODY
                assert (
                    h.get_header("WARC-Source-URI")
                    == f"https://web.archive.org/web/{WAYBACK_TS}id_/{WAYBACK_URL}"
                )
                assert h.get_header("WARC-Creation-Date") == "2026-11-20T10:00:00Z"
                http = dict(rec.http_headers.headers)
                # archived headers back under their own names; the archive's replay headers left out
                assert http["Server"] == "Apache/2.4" and http["Set-Cookie"] == "session=abc"
                assert http["Content-Length"] == str(len(WAYBACK_BODY))
                for replay_only in ("Memento-Datetime", "Link", "X-Archive-Src", "Transfer-Encoding"):
                    assert replay_only not in http
                assert rec.http_headers.get_statuscode() == "200"
    assert seen == set(expected)


def test_metadata_records_hold_provenance(exported: Path) -> None:
    metas = {}
    responses = {}
    with exported.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "response":
                responses[rec.rec_headers.get_header("WARC-Record-ID")] = rec.rec_headers.get_header(
                    "WARC-Date"
                )
            elif rec.rec_type == "metadata":
                metas[rec.rec_headers.get_header("WARC-Concurrent-To")] = (
                    rec.rec_headers.get_header("WARC-Date"),
                    json.loads(rec.content_stream().read()),
                )
    assert set(metas) == set(responses)
    for record_id, (date, meta) in metas.items():
        assert date == responses[record_id]
        c = meta["capture"]
        assert meta["tool"] == "policydiff" and meta["tool_version"] and meta["extractor_version"]
        assert len(c["sha256"]) == 64 and c["retrieved_at"] and "archive" in c and "memento_url" in c
    wayback = next(m for _, m in metas.values() if m["capture"]["original_url"] == WAYBACK_URL)
    assert wayback["capture"]["archive"] == "https://web.archive.org/web/"
    assert ["X-Archive-Src", "spn2-20240102030405-wwwb-spn01.us.archive.org-8001.warc.gz"] in wayback[
        "capture"
    ]["headers"]


@pytest.mark.slow
def test_reimporting_the_export_gives_the_same_captures(
    exported: Path,
    corpus_archive: Path,
    tmp_path: Path,  # noqa: F811
) -> None:
    with Archive.open(corpus_archive) as original, Archive.open(tmp_path / "again") as again:
        results = import_warcs(again, [str(exported)])
        assert not [r.error for r in results if r.error]
        assert sum(r.created for r in results) == len(corpus_entries()) + 1
        assert all_captures(again) == all_captures(original)
        assert [p.url for p in again.policies()] == [p.url for p in original.policies()]
        # importing again adds nothing
        assert not any(r.created for r in import_warcs(again, [str(exported)]))


def test_export_of_one_policy_and_no_overwrite(corpus_archive: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "github.warc.gz"
    with Archive.open(corpus_archive) as archive:
        policy = archive.get_policy(GITHUB)
        result = export_warc(archive, [policy], out)
        assert result.items == len([e for e in corpus_entries() if e.url == GITHUB])
        before = out.read_bytes()
        with pytest.raises(ExportExistsError, match="--force"):
            export_warc(archive, [policy], out)
        assert out.read_bytes() == before
        export_warc(archive, [policy], out, force=True)
    assert warcio_check(out).returncode == 0


def test_cli_export_and_import(
    corpus_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: F811
    out = tmp_path / "one.warc.gz"
    assert cli_main(["--archive", str(corpus_archive), "export", GITHUB, "--warc", str(out)]) == 0
    assert cli_main(["--archive", str(corpus_archive), "export", GITHUB, "--warc", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli_main(["--archive", str(tmp_path / "b"), "import", str(out), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["created"] and r["capture"]["url"] == GITHUB for r in rows)
    assert cli_main(["--archive", str(corpus_archive), "export", "--warc", str(tmp_path / "x.warc.gz")]) == 2
    assert "give one policy URL or --all" in capsys.readouterr().err


# --- WARCs written by other tools ----------------------------------------------------------------------


def _sha1(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def _chunked(body: bytes, size: int = 1000) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        part = body[i : i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def foreign_warc(path: Path, html: bytes, pdf: bytes) -> Path:
    """Records in the styles of Webrecorder (WARC/1.0, request+response pairs, chunked body), pywb
    (WARC-Source-URI, identical-payload revisit) and Heritrix (warcinfo, dns, metadata, images)."""
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True, warc_version="1.0")
        w.write_record(
            w.create_warcinfo_record(path.name, {"software": "Heritrix/3.4.0", "format": "WARC 1.0"})
        )
        w.write_record(
            w.create_warc_record(
                "dns:example.org", "resource", payload=BytesIO(b"x"), length=1, warc_content_type="text/dns"
            )
        )
        # Webrecorder: request + response, body sent chunked (the payload digest covers the de-chunked body)
        url = "https://example.org/privacy"
        req = w.create_warc_record(
            url,
            "request",
            payload=BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                "GET /privacy HTTP/1.1", [("Host", "example.org")], is_http_request=True
            ),
        )
        chunked = _chunked(html)
        resp = w.create_warc_record(
            url,
            "response",
            payload=BytesIO(chunked),
            length=len(chunked),
            http_headers=StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=UTF-8"), ("Transfer-Encoding", "chunked")],
                protocol="HTTP/1.1",
            ),
            warc_headers_dict={"WARC-Date": "2021-03-04T05:06:07Z", "WARC-Payload-Digest": _sha1(html)},
        )
        w.write_request_response_pair(req, resp)
        # pywb recording a memento from another archive, then a revisit of the same payload
        pdf_url = "https://example.org/privacy.pdf"
        rec = w.create_warc_record(
            pdf_url,
            "response",
            payload=BytesIO(pdf),
            length=len(pdf),
            http_headers=StatusAndHeaders(
                "200 OK",
                [("Content-Type", "application/pdf"), ("Content-Length", str(len(pdf)))],
                protocol="HTTP/1.1",
            ),
            warc_headers_dict={
                "WARC-Date": "2022-01-01T00:00:00Z",
                "WARC-Source-URI": "https://web.archive.org/web/20220101000000id_/" + pdf_url,
                "WARC-Creation-Date": "2026-01-01T00:00:00Z",
            },
        )
        w.write_record(rec)
        revisit = w.create_revisit_record(
            pdf_url,
            _sha1(pdf),
            pdf_url,
            "2022-01-01T00:00:00Z",
            http_headers=StatusAndHeaders(
                "200 OK", [("Content-Type", "application/pdf")], protocol="HTTP/1.1"
            ),
        )
        revisit.rec_headers.replace_header("WARC-Date", "2023-06-01T12:00:00Z")
        w.write_record(revisit)
        # Heritrix: an image (not a document) and a crawl metadata record
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
        w.write_record(
            w.create_warc_record(
                "https://example.org/logo.png",
                "response",
                payload=BytesIO(png),
                length=len(png),
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.0"),
            )
        )
        w.write_record(
            w.create_warc_record(
                url,
                "metadata",
                payload=BytesIO(b"via: https://example.org/\n"),
                length=26,
                warc_content_type="application/warc-fields",
            )
        )
    return path  # fmt: skip


def test_import_of_warcs_written_by_other_tools(tmp_path: Path) -> None:
    html = next(e for e in corpus_entries() if e.file.suffix == ".html").file.read_bytes()
    pdf = next(e for e in corpus_entries() if e.file.suffix == ".pdf").file.read_bytes()
    path = foreign_warc(tmp_path / "other.warc.gz", html, pdf)
    with Archive.open(tmp_path / "a") as archive:
        results = import_warcs(archive, [str(path)])
        assert not [r.error for r in results if r.error]
        stored = [r.capture for r in results if r.capture is not None]
        got = sorted((c.original_url, c.timestamp, c.sha256, c.source, c.http_status) for c in stored)
        assert got == sorted([
            ("https://example.org/privacy", "20210304050607", hashlib.sha256(html).hexdigest(), Source.WARC, 200),
            ("https://example.org/privacy.pdf", "20220101000000", hashlib.sha256(pdf).hexdigest(), Source.WARC, 200),
            ("https://example.org/privacy.pdf", "20230601120000", hashlib.sha256(pdf).hexdigest(), Source.WARC, 200),
        ])  # fmt: skip
        pdf_first = next(c for c in stored if c.timestamp == "20220101000000")
        assert pdf_first.memento_url.startswith("https://web.archive.org/web/20220101000000id_/")
        assert "WARC record <urn:uuid:" in pdf_first.provenance
        notes = [r.warning for r in results if r.capture is None]
        assert any("1 records that are not documents" in n for n in notes)
        assert archive.read_body(next(c for c in stored if c.content_type.startswith("text/html"))) == html


def test_a_record_whose_payload_does_not_match_its_digest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.warc.gz"
    body = b"<html><body><p>Original policy text for the digest test.</p></body></html>"
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        w.write_record(w.create_warc_record(
            "https://example.net/p", "response", payload=BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Payload-Digest": _sha1(b"something else")},
        ))  # fmt: skip
    with Archive.open(tmp_path / "a") as archive:
        results = import_warcs(archive, [str(path)])
        assert [r.capture for r in results] == [None]
        assert "payload does not match" in results[0].warning
        assert archive.policies() == []


def test_not_a_warc_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.warc.gz"
    path.write_bytes(gzip.compress(b"this is not a WARC file at all\n"))
    with Archive.open(tmp_path / "a") as archive:
        results = import_warcs(archive, [str(path), str(tmp_path / "missing.warc")])
    assert len(results) == 2 and all(r.error for r in results)
    assert "not a readable WARC" in results[0].error and "no such file" in results[1].error


def test_ascii_target_uri_for_non_ascii_urls() -> None:
    assert ascii_uri("https://bücher.example/datenschutz/über uns?q=ä") == (
        "https://xn--bcher-kva.example/datenschutz/%C3%BCber%20uns?q=%C3%A4"
    )
    assert ascii_uri(GITHUB) == GITHUB


def test_a_gzip_encoded_body_round_trips_byte_exact(tmp_path: Path) -> None:
    """An archive that sent the body gzip-encoded: the WARC keeps the encoding (as the payload digest
    requires), warcio check passes, and re-import gives back the very bytes."""
    text = "# Privacy\n\nWe keep your e-mail address for two years.\n"
    body = gzip.compress(
        b"<html><body><h1>Privacy</h1><p>We keep your e-mail address.</p></body></html>", mtime=0
    )
    capture = Capture(
        id=0, policy_id=0, source=Source.MEMENTO, timestamp="20200202020202", original_url="https://gz.example/p",
        archive="http://127.0.0.1:8080/coll/", memento_url="http://127.0.0.1:8080/coll/20200202020202id_/https://gz.example/p",
        retrieved_at="2026-11-01T00:00:00Z", http_status=200,
        headers=(("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("X-Archive-Orig-Server", "x")),
        content_type="text/html",
    )  # fmt: skip
    out = tmp_path / "gz.warc.gz"
    with Archive.open(tmp_path / "a") as archive:
        policy = archive.ensure_policy(capture.original_url)
        extraction = Extraction(text=text, text_sha256=text_sha256(text), extractor_version="t", words=9)
        archive.add_capture(policy, capture, body, extraction)
        export_warc(archive, [policy], out)
        before = all_captures(archive)
    assert warcio_check(out).returncode == 0
    with out.open("rb") as fh:
        response = next(r for r in ArchiveIterator(fh) if r.rec_type == "response")
        assert response.http_headers.get_header("Content-Encoding") == "gzip"
    with Archive.open(tmp_path / "b") as again:
        results = import_warcs(again, [str(out)])
        assert [r.error for r in results] == [""]
        assert all_captures(again) == before
        stored = results[0].capture
        assert stored is not None and again.read_body(stored) == body


def _one_record_warc(
    path: Path, payload: bytes, headers: list[tuple[str, str]], meta: dict[str, object] | None = None
) -> None:
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        http_headers = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
        rec = writer.create_warc_record(
            "https://www.example.com/privacy", "response", payload=BytesIO(payload), length=len(payload),
            http_headers=http_headers,
        )  # fmt: skip
        writer.write_record(rec)
        if meta is not None:
            data = json.dumps(meta).encode()
            writer.write_record(
                writer.create_warc_record(
                    None, "metadata", payload=BytesIO(data), length=len(data),
                    warc_content_type="application/json",
                    warc_headers_dict={"WARC-Concurrent-To": rec.rec_headers.get_header("WARC-Record-ID")},
                )
            )  # fmt: skip


PAGE = (
    b"<html><body><h1>Privacy</h1><p>We collect data about you and share it with partners.</p></body></html>"
)


def test_a_chunked_record_digested_as_recorded_is_imported(tmp_path: Path) -> None:
    """warcio, wget and most crawlers digest a chunked payload as recorded, not de-chunked."""
    chunked = (
        b"%x\r\n" % 40 + PAGE[:40] + b"\r\n" + b"%x\r\n" % (len(PAGE) - 40) + PAGE[40:] + b"\r\n0\r\n\r\n"
    )
    path = tmp_path / "crawl.warc.gz"
    _one_record_warc(path, chunked, [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
    with Archive.open(tmp_path / "arc") as arc:
        (result,) = import_warcs(arc, [str(path)])
        assert result.error == "" and result.capture is not None
        assert arc.read_body(result.capture) == PAGE  # stored de-chunked, as the page was sent


@pytest.mark.parametrize(
    "change",
    [
        {"source": "carrier-pigeon"},
        {"timestamp": "CON"},
        {"provenance": "ok\r\nWARC-Target-URI: https://evil.example/"},
        {"headers": [["Refresh", "0; url=https://evil.example/\r\nX: y"]]},
    ],
)
def test_a_forged_or_broken_provenance_record_refuses_its_record_only(
    tmp_path: Path, change: dict[str, object]
) -> None:
    capture = {
        "source": "wayback",
        "timestamp": "20200101000000",
        "original_url": "https://www.example.com/privacy",
        "sha256": hashlib.sha256(PAGE).hexdigest(),
        **change,
    }
    meta = {"policydiff-capture": 1, "policy": {"url": "https://www.example.com/privacy"}, "capture": capture}
    path = tmp_path / "ours.warc.gz"
    _one_record_warc(path, PAGE, [("Content-Type", "text/html")], meta)
    with Archive.open(tmp_path / "arc") as arc:
        (result,) = import_warcs(arc, [str(path)])
        assert "provenance record is malformed" in result.error and result.capture is None
        assert arc.stats()["captures"] == 0

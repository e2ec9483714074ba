# ruff: noqa: F811  (corpus_archive is a pytest fixture imported from exports_support)
"""A real pywb on 127.0.0.1 replays our WARC and WACZ exports byte for byte (wb-manager add of the
export; a WACZ with --unpack-wacz, so pywb finds each capture through the package's own index)."""

from __future__ import annotations

import hashlib
import urllib.request
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from exports_support import corpus_archive, corpus_entries  # noqa: F401  (corpus_archive is a fixture)
from pywb_support import start_pywb

from archiver.exports.wacz import export_wacz
from archiver.exports.warc import ascii_uri, export_warc
from archiver.storage import Archive
from archiver.timestamps import from_datetime

pytestmark = [pytest.mark.pywb, pytest.mark.slow]


@pytest.mark.parametrize("kind", ["warc", "wacz"])
def test_pywb_replays_every_exported_capture_byte_identical(
    kind: str,
    corpus_archive: Path,
    tmp_path: Path,  # noqa: F811
) -> None:
    export, name = {"warc": (export_warc, "export.warc.gz"), "wacz": (export_wacz, "export.wacz")}[kind]
    out = tmp_path / name
    with Archive.open(corpus_archive) as archive:
        captures = [c for p in archive.policies() for c in archive.captures(p.id)]
        export(archive, archive.policies(), out)
        bodies = {c.id: archive.read_body(c) for c in captures}
    assert len(captures) == len(corpus_entries()) + 1
    server = start_pywb(tmp_path / "pywb", [out], coll="export")
    if kind == "wacz":  # the index pywb serves from is the package's, not one pywb built itself
        index = (tmp_path / "pywb" / "collections" / "export" / "indexes" / "index.cdxj").read_text()
        assert index.count("\n") == len(captures) and '"filename": "export-0.warc.gz"' in index
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        for capture in captures:
            url = f"{server.prefix}{capture.timestamp}id_/{ascii_uri(capture.original_url)}"
            with opener.open(url, timeout=30) as resp:
                body = resp.read()
                served = parsedate_to_datetime(resp.headers["Memento-Datetime"])
                assert resp.status == (capture.http_status or 200)
            assert from_datetime(served) == capture.timestamp, url
            assert (
                hashlib.sha256(body).hexdigest()
                == capture.sha256
                == hashlib.sha256(bodies[capture.id]).hexdigest()
            )
            assert body == bodies[capture.id]
    finally:
        server.stop()

"""Shared set-up for the export tests: a real SQLite archive built from the real test corpus.

``corpus_archive`` (session fixture) imports every capture of tests/data/corpus through the real
pipeline, plus one capture stored the way the Wayback client stores it (replay headers with
X-Archive-Orig-*, memento URL, archive prefix), and yields the archive's root folder. Tests only read
it; tests that write get their own archive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.models import Capture, Source
from archiver.pipeline import import_paths, store_capture
from archiver.storage import Archive

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
GITHUB = "https://docs.github.com/en/free-pro-team@latest/github/site-policy/github-privacy-statement"
WAYBACK_URL = "https://www.example.com/privacy"
WAYBACK_TS = "20240102030405"


@dataclass(frozen=True)
class CorpusEntry:
    url: str
    timestamp: str
    sha256: str
    file: Path


def corpus_entries() -> list[CorpusEntry]:
    data = json.loads((CORPUS / "index.json").read_text())
    return [CorpusEntry(e["url"], e["timestamp"], e["sha256"], CORPUS / e["file"]) for e in data]


def wayback_capture(body: bytes) -> Capture:
    """A capture as archiver.client stores an id_ memento: the replay's headers, in order."""
    return Capture(
        id=0,
        policy_id=0,
        source=Source.WAYBACK,
        timestamp=WAYBACK_TS,
        original_url=WAYBACK_URL,
        archive="https://web.archive.org/web/",
        memento_url=f"https://web.archive.org/web/{WAYBACK_TS}id_/{WAYBACK_URL}",
        retrieved_at="2026-11-20T10:00:00Z",
        http_status=200,
        headers=(
            ("Server", "nginx"),
            ("Date", "Fri, 20 Nov 2026 10:00:00 GMT"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Transfer-Encoding", "chunked"),
            ("Connection", "keep-alive"),
            ("X-Archive-Orig-Server", "Apache/2.4"),
            ("X-Archive-Orig-Date", "Tue, 02 Jan 2024 03:04:05 GMT"),
            ("X-Archive-Orig-Content-Length", "999"),
            ("X-Archive-Orig-Set-Cookie", "session=abc"),
            ("Memento-Datetime", "Tue, 02 Jan 2024 03:04:05 GMT"),
            ("Link", f'<{WAYBACK_URL}>; rel="original"'),
            ("X-Archive-Src", "spn2-20240102030405-wwwb-spn01.us.archive.org-8001.warc.gz"),
            ("Content-Security-Policy", "default-src 'self' web.archive.org"),
        ),
        content_type="text/html; charset=utf-8",
        provenance="fetched by policydiff from the Wayback Machine",
    )


WAYBACK_BODY = (
    b"<!doctype html><html><head><title>Example privacy</title></head><body><main><h1>Privacy policy"
    b"</h1><p>We collect your e-mail address to send receipts. We keep it for two years and never sell"
    b" it. You may ask us to delete it at any time by writing to privacy@example.com.</p><p>Cookies: we"
    b" use one session cookie.</p></main></body></html>"
)


def build_archive(root: Path, slugs: tuple[str, ...] | None = None) -> Archive:
    archive = Archive.open(root)
    for e in corpus_entries():
        if slugs is None or e.file.parent.name in slugs:
            results = list(import_paths(archive, [str(e.file)], url=e.url, date=e.timestamp))
            assert results and not results[0].error, results
    policy = archive.ensure_policy(WAYBACK_URL, "Example")
    store_capture(archive, policy, wayback_capture(WAYBACK_BODY), WAYBACK_BODY)
    return archive


@pytest.fixture(scope="session")
def corpus_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # Each test module that imports this fixture gets its own session-scoped copy of the definition,
    # so the archive is built once per session under a fixed name and reused by the others.
    root = tmp_path_factory.getbasetemp() / "corpus-archive"
    done = root / "built"
    if not done.exists():
        build_archive(root).close()
        done.write_text("ok")
    yield root


def capture_key(c: Capture) -> tuple[object, ...]:
    """Everything about a capture except its database ids."""
    return (
        c.timestamp, c.original_url, c.sha256, c.size, str(c.source), c.archive, c.memento_url,
        c.retrieved_at, c.http_status, c.headers, c.content_type, c.redirects, c.provenance, c.flags,
    )  # fmt: skip


def all_captures(archive: Archive) -> list[tuple[str, tuple[object, ...]]]:
    return sorted(
        (archive.policy_by_id(c.policy_id).url, capture_key(c))
        for p in archive.policies()
        for c in archive.captures(p.id)
    )

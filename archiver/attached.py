"""Raw bytes attached to a text-only capture: a corpus text and the memento it was made from.

A Princeton-Leuven file holds a policy's text and names the Wayback capture it came from. When
that memento is fetched (``policydiff fetch`` of its URL and time, or of the memento URL itself),
its raw bytes become the second source of the *same* capture rather than a second capture: the
capture keeps the corpus text as its version text, and the table ``attached_bodies`` records the
raw bytes (kept in ``blobs/`` like any body), where they were fetched from, and whether our own
extraction of them carries the same words as the corpus text (archiver/sametext.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import curation
from .blobs import put_blob, sha256_hex
from .errors import ExtractionError
from .models import Capture, Policy, Source
from .sametext import same_text
from .storage import Archive
from .timestamps import now_iso


@dataclass(frozen=True, slots=True)
class AttachedBody:
    capture_id: int
    sha256: str
    memento_url: str
    retrieved_at: str
    http_status: int | None
    content_type: str
    size: int
    text_sha256: str | None  # our extraction of the raw bytes (None: no text could be extracted)
    agrees: bool | None  # our extraction has the corpus text's words (None: nothing to compare)

    def describe(self) -> str:
        verdict = {
            True: "our extraction of them agrees with the corpus text",
            False: "our extraction of them differs from the corpus text",
            None: "no text could be extracted from them",
        }[self.agrees]
        return f"raw memento attached ({self.size} bytes, sha256 {self.sha256[:12]}…): {verdict}"


def corpus_capture(archive: Archive, policy: Policy, fetched: Capture) -> Capture | None:
    """The text-only corpus capture a fetched memento is the source of: same policy, same archive,
    same capture time, no raw bytes yet; None when there is none."""
    if not fetched.archive or fetched.source not in (Source.WAYBACK, Source.MEMENTO):
        return None
    rows = archive.query(
        "SELECT * FROM captures WHERE policy_id=? AND archive=? AND timestamp=? AND source=?"
        " AND sha256 IS NULL AND id NOT IN (SELECT capture_id FROM attached_bodies) ORDER BY id LIMIT 1",
        (policy.id, fetched.archive, fetched.timestamp, str(Source.PLLC)),
    )
    if not rows:
        return None
    from .schema import capture_from_row

    return capture_from_row(rows[0])


def attach(archive: Archive, policy: Policy, target: Capture, fetched: Capture, body: bytes) -> AttachedBody:
    """Keep ``body`` (the memento ``fetched`` describes) as the raw bytes of ``target``."""
    from .extraction import extract_capture

    corpus = archive.extraction(target.id)
    try:
        ours = extract_capture(fetched, body, policy.rules)
    except ExtractionError:
        ours = None
    agrees = None if ours is None or corpus is None else same_text(ours.text, corpus.text)
    sha = sha256_hex(body)
    put_blob(archive.root, sha, body)  # written and read back before the row that names it
    attached = AttachedBody(
        target.id,
        sha,
        fetched.memento_url,
        fetched.retrieved_at or now_iso(),
        fetched.http_status,
        fetched.content_type,
        len(body),
        ours.text_sha256 if ours is not None else None,
        agrees,
    )
    with archive.curating() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO attached_bodies(capture_id, sha256, memento_url, retrieved_at,"
            " http_status, headers, content_type, size, text_sha256, agrees) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                target.id,
                sha,
                attached.memento_url,
                attached.retrieved_at,
                attached.http_status,
                json.dumps([list(h) for h in fetched.headers]),
                attached.content_type,
                attached.size,
                attached.text_sha256,
                None if agrees is None else int(agrees),
            ),
        )
        # its raw file outlives a lost database in blobs/; only this line says whose it is
        row = conn.execute("SELECT * FROM attached_bodies WHERE capture_id = ?", (target.id,)).fetchone()
        curation.record(conn, "attached", target.policy_id, **curation.attached_data(conn, row))
    return attached


def attachments(archive: Archive, captures: list[Capture]) -> dict[int, AttachedBody]:
    """The raw bytes attached to these captures, by capture id."""
    out: dict[int, AttachedBody] = {}
    ids = [c.id for c in captures if c.sha256 is None]  # only text-only captures get attachments
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for r in archive.query(
            "SELECT capture_id, sha256, memento_url, retrieved_at, http_status, content_type, size,"
            f" text_sha256, agrees FROM attached_bodies WHERE capture_id IN ({marks})",
            chunk,
        ):
            out[int(r[0])] = AttachedBody(
                int(r[0]), r[1], r[2], r[3], r[4], r[5], int(r[6]), r[7], None if r[8] is None else bool(r[8])
            )
    return out

"""Search every version of every policy: which versions say it, since when, until when.

A query is FTS5 syntax over single paragraphs, folded for case and diacritics: words (all must be in
one paragraph), ``"a phrase"``, ``prefix*``, ``OR``, ``NOT``, ``NEAR(a b, 5)``. For each policy with
a match the answer gives the versions whose text holds a matching paragraph, when it *first
appeared* (the first capture with it, and the last capture without it before: the window in which
it was added) and when it was *last seen* (the last capture with it, and the first capture without
it after: the window in which it was removed; none while the latest version still says it).
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from ..errors import UsageError
from ..models import Policy
from ..storage import Archive
from . import fts


class SearchQueryError(UsageError):
    """The query is not valid FTS5 syntax (or is empty)."""

    def __init__(self, query: str, reason: str) -> None:
        self.query = query
        self.reason = reason
        super().__init__(
            f"cannot search for {query!r}: {reason}. Words match anywhere in a paragraph; write "
            '"a phrase" in double quotes (also for words with punctuation, e.g. "opt-out"), '
            "prefix* for word starts, and OR, NOT, NEAR(a b, 5) in capitals"
        )


@dataclass(frozen=True, slots=True)
class VersionMatch:
    """A version whose text holds a matching paragraph (of several, the one indexed first)."""

    timestamp: str  # the version's first capture
    last_timestamp: str  # its last capture
    text_sha256: str
    block: int  # index of a matching paragraph among the text's blocks (archiver.diffing)
    paragraph: str


@dataclass(frozen=True, slots=True)
class PolicyMatch:
    """One policy's answer. Timestamps are capture timestamps (14 digits)."""

    policy_id: int
    url: str
    label: str
    versions: tuple[VersionMatch, ...]  # oldest first; never empty
    total_versions: int  # versions of the policy in all
    first_appeared: str  # first capture whose text matches
    absent_before: str | None  # the last capture before it without a match (None: from the start)
    last_seen: str  # last capture whose text matches
    absent_after: str | None  # the first capture after it without a match (None: still there)

    @property
    def paragraph(self) -> str:
        """The matching paragraph as the latest matching version says it."""
        return self.versions[-1].paragraph


def update_index(archive: Archive, check: bool = False) -> Iterator[tuple[int, int]]:
    """Index the texts the index does not hold yet (an archive made before it, a catch-up cut
    short), :data:`.fts.BATCH_TEXTS` per transaction; yields (done, total) after each batch.
    With ``check``, FTS5's integrity check runs first and a damaged index is rebuilt whole."""
    if check and not archive.write_with(fts.healthy):  # FTS5 checks through an INSERT
        archive.write_with(fts.clear)
    todo = [str(r[0]) for r in archive.read(fts.MISSING_SQL)]
    for start in range(0, len(todo), fts.BATCH_TEXTS):
        batch = [(sha, archive.text(sha)) for sha in todo[start : start + fts.BATCH_TEXTS]]

        def work(conn: sqlite3.Connection, batch: list[tuple[str, str]] = batch) -> None:
            for sha, text in batch:
                fts.index_text(conn, sha, text)

        archive.write_with(work)
        yield min(start + fts.BATCH_TEXTS, len(todo)), len(todo)


_POSTINGS_SQL = (
    "SELECT id, postings FROM search_paragraphs"
    " WHERE id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :query) ORDER BY id"
)
# The texts with a hit (a JSON array of text ids) -> the policies using them -> every capture of
# those policies in time order, with its text's id. CROSS JOIN keeps SQLite from scanning all
# captures: the hits are few.
_CAPTURES_SQL = """
WITH pols AS (
    SELECT DISTINCT c.policy_id AS id
    FROM json_each(:texts) j CROSS JOIN search_texts t ON t.id = j.value
    CROSS JOIN extractions e ON e.text_sha256 = t.text_sha256 CROSS JOIN captures c ON c.id = e.capture_id
    WHERE :policy IS NULL OR c.policy_id = :policy
)
SELECT c.policy_id, c.timestamp, e.text_sha256, t.id
FROM pols CROSS JOIN captures c ON c.policy_id = pols.id CROSS JOIN extractions e ON e.capture_id = c.id
LEFT JOIN search_texts t ON t.text_sha256 = e.text_sha256
ORDER BY c.policy_id, c.timestamp, c.id
"""


def _hits(archive: Archive, query: str) -> dict[int, tuple[int, int]]:
    """Text id -> (block, paragraph id) of a matching paragraph for every text holding one: of
    several, the paragraph indexed first (the oldest wording), at its first block in that text."""
    try:
        rows = archive.read(_POSTINGS_SQL, {"query": query})
    except sqlite3.OperationalError as exc:
        raise SearchQueryError(query, _reason(str(exc))) from None
    texts, blocks, pids = array("i"), array("i"), array("q")  # one entry per (paragraph, text) pair
    for pid, postings in rows:  # by paragraph id
        pairs = fts.unpack(postings)
        texts.extend(pairs[0::2])
        blocks.extend(pairs[1::2])
        pids.extend(repeat(pid, len(pairs) // 2))
    # built backwards, so the first pair of each text is the one kept (in C: a common word matches
    # tens of thousands of pairs)
    first = dict(zip(reversed(texts), range(len(texts) - 1, -1, -1), strict=True))
    return {text: (blocks[k], pids[k]) for text, k in first.items()}


def search(archive: Archive, query: str, policy: Policy | None = None) -> list[PolicyMatch]:
    """The policies whose versions hold a paragraph matching ``query``, earliest first appearance first."""
    if not query.strip():
        raise SearchQueryError(query, "the query is empty")
    hits = _hits(archive, query)
    if not hits:
        return []
    params = {"texts": json.dumps(list(hits)), "policy": policy.id if policy else None}
    # per policy: versions as [first ts, last ts, text sha256, block, paragraph id]; consecutive
    # captures with the same text are one version, as Archive.versions groups them
    per_policy: dict[int, list[list[Any]]] = {}
    for policy_id, timestamp, sha, text_id in archive.read(_CAPTURES_SQL, params):
        versions = per_policy.setdefault(policy_id, [])
        if versions and versions[-1][2] == sha:
            versions[-1][1] = timestamp
        else:
            versions.append([timestamp, timestamp, sha, *hits.get(text_id, (None, None))])
    bodies = _bodies(archive, {int(v[4]) for vs in per_policy.values() for v in vs if v[4] is not None})
    names = _names(archive, set(per_policy))
    out = []
    for policy_id, versions in per_policy.items():
        hit = [k for k, v in enumerate(versions) if v[4] is not None]
        if not hit:
            continue
        first, last = hit[0], hit[-1]
        out.append(
            PolicyMatch(
                policy_id=policy_id,
                url=names[policy_id][0],
                label=names[policy_id][1],
                versions=tuple(
                    VersionMatch(v[0], v[1], v[2], v[3], bodies[v[4]]) for v in (versions[k] for k in hit)
                ),
                total_versions=len(versions),
                first_appeared=str(versions[first][0]),
                absent_before=str(versions[first - 1][1]) if first > 0 else None,
                last_seen=str(versions[last][1]),
                absent_after=str(versions[last + 1][0]) if last + 1 < len(versions) else None,
            )
        )
    out.sort(key=lambda m: (m.first_appeared, m.url))
    return out


def _bodies(archive: Archive, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = archive.read(f"SELECT rowid, body FROM search_fts WHERE rowid IN ({marks})", sorted(ids))  # noqa: S608
    return {int(r[0]): str(r[1]) for r in rows}


def _names(archive: Archive, ids: set[int]) -> dict[int, tuple[str, str]]:
    """URL and label of each policy (not ``Archive.policies``: its counts cost a query per policy)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = archive.read(f"SELECT id, url, label FROM policies WHERE id IN ({marks})", sorted(ids))  # noqa: S608
    return {int(r[0]): (str(r[1]), str(r[2])) for r in rows}


def _reason(message: str) -> str:
    """SQLite's words for a bad query, made readable ("no such column: out" is a bare '-')."""
    if message.startswith("no such column"):
        return f"'{message.rsplit(':', 1)[-1].strip()}' follows a character FTS5 reads as an operator"
    return message.removeprefix("fts5: ")

"""Reviewers' notes on paragraphs, carried to later versions while the paragraph survives.

A note is made on one paragraph (block) of one version. For a later version, the paragraph is
followed version by version with the diff engine's alignment (``diffing.follow_blocks``): through
moves, and through edits, after which the note is shown as "paragraph changed since the note"; a
paragraph that is deleted takes its note with it ("paragraph removed"), and the note stays in the
log. Following step by step, not from the note's version straight to the target, keeps a paragraph
that was edited a little at a time from being lost against a text it no longer resembles.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from . import curation
from .diffing import BlockKind, diff_texts, split_blocks
from .diffing.views import follow_blocks
from .errors import UsageError
from .models import Policy, Version
from .portfolio import default_reviewer
from .storage import Archive
from .timestamps import now_iso


class NoteState(StrEnum):
    SAME = "same"  # the paragraph reads as when the note was made
    CHANGED = "changed"  # the paragraph was edited since the note
    REMOVED = "removed"  # the paragraph is gone


@dataclass(frozen=True, slots=True)
class ParagraphNote:
    id: int
    policy_id: int
    version_timestamp: str  # the version the note was made on
    paragraph: str  # the paragraph as it read then
    author: str
    created_at: str
    note: str


@dataclass(frozen=True, slots=True)
class PlacedNote:
    """A note as it stands in one version: where its paragraph is now (block index), and how."""

    note: ParagraphNote
    state: NoteState
    block: int | None  # index among the version's blocks (diffing.split_blocks); None when removed
    paragraph: str  # the paragraph as it reads in this version ("" when removed)


def paragraphs(text: str) -> list[tuple[int, str]]:
    """(block index, text) of the blocks a note can be made on: all but blank ones."""
    return [(b.index, b.body) for b in split_blocks(text) if b.kind is not BlockKind.BLANK]


def find_paragraph(text: str, which: str) -> int:
    """The block index a user means: "3" is the third paragraph; other words pick the one paragraph
    that contains them (case folded)."""
    paras = paragraphs(text)
    if which.strip().isdigit():
        n = int(which)
        if not 1 <= n <= len(paras):
            raise UsageError(f"there is no paragraph {n}: this version has {len(paras)}")
        return paras[n - 1][0]
    needle = " ".join(which.split()).casefold()
    hits = [i for i, body in paras if needle and needle in " ".join(body.split()).casefold()]
    if len(hits) != 1:
        raise UsageError(
            f"{len(hits)} paragraphs contain {which!r}: give more words, or the paragraph's number"
            if hits
            else f"no paragraph contains {which!r}"
        )
    return hits[0]


class Notes:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._maps: dict[tuple[str, str], dict[int, tuple[int | None, bool]]] = {}

    def add(self, policy: Policy, timestamp: str, which: str, note: str, author: str = "") -> ParagraphNote:
        """A note on the paragraph ``which`` (find_paragraph) of the version at ``timestamp``."""
        version = self.archive.version_at(policy.url, timestamp)
        block = find_paragraph(self.archive.text(version.text_sha256), which)
        return self.add_at_block(policy, version, block, note, author)

    def add_at_block(
        self, policy: Policy, version: Version, block: int, note: str, author: str = ""
    ) -> ParagraphNote:
        """A note on block ``block`` (diffing.split_blocks) of ``version``: the app's way in."""
        if not note.strip():
            raise UsageError("the note is empty")
        text = self.archive.text(version.text_sha256)
        blocks = split_blocks(text)
        if not 0 <= block < len(blocks) or blocks[block].kind is BlockKind.BLANK:
            raise UsageError(f"there is no paragraph at block {block} of this version")
        paragraph = blocks[block].body
        row = (policy.id, version.timestamp, version.text_sha256, block, paragraph)
        with self.archive.curating() as conn:
            cur = conn.execute(
                "INSERT INTO paragraph_notes(policy_id, version_timestamp, text_sha256, block, paragraph,"
                " author, created_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, author.strip() or default_reviewer(), now_iso(), note.strip()),
            )
            note_id = cur.lastrowid
            stored = conn.execute("SELECT * FROM paragraph_notes WHERE id = ?", (note_id,)).fetchone()
            curation.record(conn, "paragraph_note", policy.id, **curation.paragraph_note_data(stored))
        return next(n for n, _, _ in self._stored(policy) if n.id == note_id)

    def _stored(self, policy: Policy) -> list[tuple[ParagraphNote, str, int]]:
        """Each note with the text sha256 and block index it was made on."""
        rows = self.archive.query(
            "SELECT * FROM paragraph_notes WHERE policy_id = ? ORDER BY id", (policy.id,)
        )
        return [
            (
                ParagraphNote(
                    id=r["id"],
                    policy_id=r["policy_id"],
                    version_timestamp=r["version_timestamp"],
                    paragraph=r["paragraph"],
                    author=r["author"],
                    created_at=r["created_at"],
                    note=r["note"],
                ),
                r["text_sha256"],
                r["block"],
            )
            for r in rows
        ]

    def in_version(
        self, policy: Policy, version: Version, versions: list[Version] | None = None
    ) -> list[PlacedNote]:
        """Every note made on this version or an earlier one, placed in this version."""
        versions = self.archive.versions(policy.id) if versions is None else versions
        texts = [v for v in versions if v.is_policy_text or v.index == version.index]
        out = []
        for note, sha, block in self._stored(policy):
            if note.version_timestamp > version.timestamp:
                continue
            start = next(
                (
                    k
                    for k, v in enumerate(texts)
                    if v.timestamp == note.version_timestamp and v.text_sha256 == sha
                ),
                None,
            )
            end = next(k for k, v in enumerate(texts) if v.index == version.index)
            if start is None:  # re-extraction changed that version's text: the note's paragraph stands alone
                out.append(PlacedNote(note, NoteState.REMOVED, None, ""))
                continue
            where: int | None = block
            same = True
            for k in range(start, end):
                if where is None:
                    break
                where, unchanged = self._map(texts[k].text_sha256, texts[k + 1].text_sha256).get(
                    where, (None, False)
                )
                same = same and unchanged
            if where is None:
                out.append(PlacedNote(note, NoteState.REMOVED, None, ""))
            else:
                body = split_blocks(self.archive.text(version.text_sha256))[where].body
                out.append(PlacedNote(note, NoteState.SAME if same else NoteState.CHANGED, where, body))
        return out

    def _map(self, a: str, b: str) -> dict[int, tuple[int | None, bool]]:
        key = (a, b)
        if key not in self._maps:
            if a == b:
                n = len(split_blocks(self.archive.text(a)))
                self._maps[key] = {i: (i, True) for i in range(n)}
            else:
                self._maps[key] = follow_blocks(diff_texts(self.archive.text(a), self.archive.text(b)))
        return self._maps[key]

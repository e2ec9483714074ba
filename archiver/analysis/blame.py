"""Paragraph history ("blame"): for each paragraph of a version, the version that introduced it and
the last one that changed it.

Paragraphs are the diff engine's blocks (headings, paragraphs, list items, table rows). Each version
is aligned with the one before it by the diff engine's alignment (``archiver.diffing.align``), so a
paragraph is followed through edits in place, moves (edited or not), splits and merges:

* an equal, replaced or moved block continues the block it is aligned with;
* a block added by a split (or the block two were merged into) continues the group's first block;
* an inserted block starts a new history: the version is where it was introduced.

A paragraph *changed* in a version when its text differs from the block it continues; a move that
leaves the words alone is not a change. Versions that hold no policy text (archived error pages,
JavaScript shells, walls: ``Version.is_policy_text``) are stepped over, so they never look like
every paragraph was deleted and written again. A paragraph deleted and later restored starts a new
history where it comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..diffing import Block, BlockKind, DiffOptions, split_blocks
from ..diffing.align import align
from ..diffing.words import TokenCodec
from ..models import Version
from ..storage import Archive

_OPTIONS = DiffOptions()


@dataclass(frozen=True, slots=True)
class ParagraphState:
    """A paragraph as one version says it."""

    version: int  # index into Blame.versions
    block: int  # index among that version's blocks (archiver.diffing.split_blocks)
    text: str


@dataclass(frozen=True, slots=True)
class ParagraphBlame:
    """One paragraph of the blamed version."""

    block: int  # index among the version's blocks
    line: int  # 0-based line of the version's text where it starts
    text: str  # the paragraph, without its trailing blank lines
    introduced: int  # index into Blame.versions of the version that introduced it
    last_changed: int  # ... and of the last version that changed its text
    history: tuple[ParagraphState, ...]  # oldest first: as introduced, then after each change


@dataclass(frozen=True, slots=True)
class Blame:
    """The history of every paragraph of ``versions[-1]``."""

    versions: tuple[Version, ...]  # the versions followed, oldest first; the blamed one last
    paragraphs: tuple[ParagraphBlame, ...]  # in text order

    def at_block(self, block: int) -> ParagraphBlame | None:
        """The paragraph that is block ``block`` of the blamed version (None: a blank block)."""
        for p in self.paragraphs:
            if p.block == block:
                return p
        return None


def continued_blocks(old: tuple[Block, ...], new: tuple[Block, ...]) -> dict[int, int]:
    """For each block of ``new`` that continues a block of ``old``: ``{new index: old index}``
    (the diff engine's alignment of the two, without the rows and statistics a view needs)."""
    alignment = align(old, new, _OPTIONS, TokenCodec(_OPTIONS))
    parents: dict[int, int] = {}
    for i, j, n in alignment.equal:
        parents.update(zip(range(j, j + n), range(i, i + n), strict=True))
    for g in alignment.groups:  # a split's extra blocks, or a merge, continue the group's first
        for k, j in enumerate(g.rights):
            parents[j] = g.lefts[k] if k < len(g.lefts) else g.lefts[0]
    for i, j, _diff in alignment.move:
        parents[j] = i
    return parents


def blame_texts(texts: Sequence[str]) -> tuple[ParagraphBlame, ...]:
    """The paragraphs of ``texts[-1]`` with their history through ``texts`` (oldest first);
    ``introduced``, ``last_changed`` and ``history`` index into ``texts``."""
    if not texts:
        return ()
    # per text: block bodies (None for blank blocks), introduced, last changed, parent block
    bodies: list[list[str | None]] = []
    parents: list[dict[int, int]] = [{}]
    introduced: list[list[int]] = []
    changed: list[list[int]] = []
    blocks_of_last = split_blocks(texts[-1])
    previous: tuple[Block, ...] = ()
    for k, text in enumerate(texts):
        blocks = blocks_of_last if k == len(texts) - 1 else split_blocks(text)
        body = [None if b.kind is BlockKind.BLANK else b.text.rstrip() for b in blocks]
        par = continued_blocks(previous, blocks) if k else {}
        previous = blocks
        if k:
            parents.append(par)
        intro, last = [k] * len(blocks), [k] * len(blocks)
        for j, p in par.items():
            if j < len(blocks) and bodies[k - 1][p] is not None:
                intro[j] = introduced[k - 1][p]
                last[j] = changed[k - 1][p] if bodies[k - 1][p] == body[j] else k
        bodies.append(body)
        introduced.append(intro)
        changed.append(last)
    top = len(texts) - 1
    out = []
    for block in blocks_of_last:
        text_now = bodies[top][block.index]
        if text_now is None or not text_now:
            continue
        out.append(
            ParagraphBlame(
                block=block.index,
                line=block.line,
                text=text_now,
                introduced=introduced[top][block.index],
                last_changed=changed[top][block.index],
                history=_history(bodies, parents, top, block.index),
            )
        )
    return tuple(out)


def _history(
    bodies: list[list[str | None]], parents: list[dict[int, int]], k: int, j: int
) -> tuple[ParagraphState, ...]:
    states: list[ParagraphState] = []
    while True:
        text = bodies[k][j]
        assert text is not None
        parent = parents[k].get(j) if k else None
        if parent is not None and bodies[k - 1][parent] is None:
            parent = None
        if parent is None or bodies[k - 1][parent] != text:
            states.append(ParagraphState(k, j, text))
        if parent is None:
            break
        k, j = k - 1, parent
    states.reverse()
    return tuple(states)


def followed_versions(versions: Sequence[Version], target: Version) -> tuple[Version, ...]:
    """The versions a blame of ``target`` goes through: those with policy text up to it, and it."""
    return tuple(v for v in versions[: target.index + 1] if v.is_policy_text or v.index == target.index)


def blame(archive: Archive, target: Version) -> Blame:
    """The paragraph history of ``target`` (a version of ``archive``) from the policy's first version."""
    versions = followed_versions(archive.versions(target.policy_id), target)
    texts = [archive.text(v.text_sha256) for v in versions]
    return Blame(versions, blame_texts(texts))

"""Immutable records the diff engine returns; the side-by-side view is built on them.

Rows come in display order on both sides at once: reading the left blocks of all rows in order (rows
whose ``left`` is ``None`` contribute nothing) gives the left blocks in source order, and likewise for
the right. Blocks tile their source text exactly (each block keeps its trailing blank lines), so
``"".join(b.text for b in result.left_blocks()) == result.left_text``.

A block split in two (or two blocks merged) gives ``REPLACE`` rows that share a ``group_id``; the
extra rows have ``None`` on one side.

A moved block appears twice: a ``MOVE`` row at its old position (``left`` set, ``right`` ``None``) and
a ``MOVE`` row at its new position (``left`` ``None``, ``right`` set), sharing one ``move_id``. If the
block was also edited, the spans on each half mark the words that differ from the other half.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class BlockKind(StrEnum):
    """What a block of extracted policy Markdown is."""

    HEADING = "heading"  # "# ..." line
    PARAGRAPH = "paragraph"  # consecutive non-blank lines that are none of the others
    LIST_ITEM = "list"  # "- ", "* ", "+ " or "1. " item, with its continuation lines
    TABLE_ROW = "table"  # one "| ... |" line
    CODE = "code"  # a fenced ``` block, kept whole
    RULE = "rule"  # a thematic break such as "* * *"
    BLANK = "blank"  # only whitespace (a text that is empty or starts with blank lines)


class RowKind(StrEnum):
    """How the blocks of one row relate."""

    EQUAL = "equal"  # same content (under the options); no spans
    INSERT = "insert"  # right block only; the whole block is new; no spans
    DELETE = "delete"  # left block only; the whole block is gone; no spans
    REPLACE = "replace"  # similar blocks at the same place; spans mark the words that differ.
    # A block split in two, or blocks merged into one, gives consecutive REPLACE rows sharing a
    # ``group_id``; one side of the extra rows is None, and the spans come from one word diff of
    # the whole group (text that only crossed a block boundary is not marked).
    MOVE = "move"  # one half of a moved block (see the module docstring); spans if also edited


class SpanKind(StrEnum):
    DELETE = "delete"  # on the left side: text removed
    INSERT = "insert"  # on the right side: text added


@dataclass(frozen=True, slots=True)
class Span:
    """A highlighted range ``[start, end)`` of character offsets into ``Block.text``."""

    start: int
    end: int
    kind: SpanKind


@dataclass(frozen=True, slots=True)
class Block:
    """A structural unit of one side's text: ``text == source[start:end]``, separators included."""

    kind: BlockKind
    text: str  # exact source text, including the trailing newline(s) / blank lines
    start: int  # character offset into the side's source text
    end: int
    index: int  # position among the side's blocks
    line: int  # 0-based line number in the source where the block starts
    lines: int  # number of source lines the block covers (its trailing blank lines included)

    @property
    def body(self) -> str:
        """The block without its trailing whitespace: what is compared and shown."""
        return self.text.rstrip()


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One row of the side-by-side display."""

    kind: RowKind
    left: Block | None
    right: Block | None
    left_spans: tuple[Span, ...] = ()
    right_spans: tuple[Span, ...] = ()
    move_id: int | None = None  # shared by the two halves of a move
    similarity: float = 1.0  # 0..1 word similarity of the paired blocks (1.0 when not paired)
    group_id: int | None = None  # shared by the REPLACE rows of one split/merge group

    @property
    def changed(self) -> bool:
        return self.kind is not RowKind.EQUAL


@dataclass(frozen=True, slots=True)
class DiffStats:
    """Word counts of a diff. A word is a run of non-whitespace, as ``wc -w`` and git's word diff
    count them; a word counts as removed/added when any of its characters is highlighted.

    ``words_removed`` / ``words_added`` count every word deleted from the left / inserted on the right,
    inside edited blocks and in whole deleted/inserted blocks. ``words_changed`` is the part of those
    that were substitutions: per edited row (or per moved block), the smaller of its removed and added
    counts. Moved blocks count only for the edits inside them. ``changed_ratio`` is
    ``(words_removed + words_added) / (left_words + right_words)`` (0.0 for two empty texts).
    ``changed_rows`` counts rows that are not ``EQUAL``.
    """

    words_added: int
    words_removed: int
    words_changed: int
    changed_ratio: float
    moved_blocks: int
    left_words: int
    right_words: int
    left_blocks: int
    right_blocks: int
    changed_rows: int


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """What counts as equal. The rows always carry the original text."""

    ignore_whitespace: bool = False  # runs of whitespace compare equal to one space; edges ignored
    ignore_case: bool = False
    ignore_punctuation: bool = False  # only letters, digits and whitespace are compared
    detect_moves: bool = True
    similarity: float = 0.5  # minimum word similarity (0..1) for two blocks to be paired as a replace


@dataclass(frozen=True, slots=True)
class Skipped:
    """Marker of collapsed unchanged rows in a changes-only view: ``rows[start:stop]`` are hidden."""

    start: int
    stop: int
    left_lines: int  # source lines hidden on each side
    right_lines: int

    @property
    def count(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True, slots=True)
class RowLines:
    """Where one row sits in the line-based views (all 0-based line numbers).

    ``left_start``/``right_start`` are source line numbers; a side with no block in the row has
    ``*_count == 0`` and ``*_start`` at the line where the other side's block would go. ``view_start`` and
    ``height`` place the row in a padded view where both panes scroll together: ``height`` is
    ``max(left_count, right_count)`` and the shorter side gets filler lines.
    """

    row: int
    left_start: int
    left_count: int
    right_start: int
    right_count: int
    view_start: int
    height: int


@dataclass(frozen=True, slots=True)
class DiffResult:
    """The whole comparison of two texts."""

    rows: tuple[DiffRow, ...]
    stats: DiffStats
    left_text: str
    right_text: str
    options: DiffOptions = field(default_factory=DiffOptions)

    @property
    def same(self) -> bool:
        """True when nothing differs under the options (what exit code 0 of ``diff`` means)."""
        return all(row.kind is RowKind.EQUAL for row in self.rows)

    def change_indices(self) -> tuple[int, ...]:
        """Indices of the rows that are not ``EQUAL``, in order (for next/previous change)."""
        return tuple(i for i, row in enumerate(self.rows) if row.kind is not RowKind.EQUAL)

    def left_blocks(self) -> tuple[Block, ...]:
        return tuple(row.left for row in self.rows if row.left is not None)

    def right_blocks(self) -> tuple[Block, ...]:
        return tuple(row.right for row in self.rows if row.right is not None)


# --- fast constructors for the engine's hot loops ---------------------------------------------------
# A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` by name, which
# counts for the thousands of blocks and rows of one diff. These build the object as an instance of a
# plain twin class with the same slots (so plain attribute stores) and then give it its real class:
# the result is the same object (same type, equal, same hash, still frozen) in about a third of the
# time, from one call (so ``map(new_block, ...)`` builds many at C speed). Internal: the arguments
# are positional and not checked.


class _BlockInit:
    __slots__ = ("kind", "text", "start", "end", "index", "line", "lines")

    def __init__(
        self, kind: BlockKind, text: str, start: int, end: int, index: int, line: int, lines: int
    ) -> None:
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.index = index
        self.line = line
        self.lines = lines
        self.__class__ = Block  # type: ignore[assignment]


class _RowInit:
    __slots__ = ("kind", "left", "right", "left_spans", "right_spans", "move_id", "similarity", "group_id")

    def __init__(
        self,
        kind: RowKind,
        left: Block | None,
        right: Block | None,
        left_spans: tuple[Span, ...] = (),
        right_spans: tuple[Span, ...] = (),
        move_id: int | None = None,
        similarity: float = 1.0,
        group_id: int | None = None,
    ) -> None:
        self.kind = kind
        self.left = left
        self.right = right
        self.left_spans = left_spans
        self.right_spans = right_spans
        self.move_id = move_id
        self.similarity = similarity
        self.group_id = group_id
        self.__class__ = DiffRow  # type: ignore[assignment]


#: ``new_block(kind, text, start, end, index, line, lines)``: ``Block(...)``, faster.
new_block: Callable[[BlockKind, str, int, int, int, int, int], Block] = _BlockInit  # type: ignore[assignment]
#: ``new_row(kind, left, right, left_spans=(), right_spans=(), move_id=None, similarity=1.0,
#: group_id=None)``: ``DiffRow(...)`` with the same arguments, faster.
new_row: Callable[..., DiffRow] = _RowInit  # type: ignore[assignment]


def _check_twins() -> None:
    """The twins must keep matching the dataclasses (field order, defaults): checked at import."""
    if _BlockInit.__slots__ != Block.__slots__ or _RowInit.__slots__ != DiffRow.__slots__:
        raise TypeError("Block/DiffRow fields changed: update the fast constructors in model.py")
    b = Block(BlockKind.PARAGRAPH, "a\n", 0, 2, 0, 0, 1)
    if new_block(BlockKind.PARAGRAPH, "a\n", 0, 2, 0, 0, 1) != b or new_row(RowKind.EQUAL, b, b) != DiffRow(
        RowKind.EQUAL, b, b
    ):
        raise TypeError("Block/DiffRow defaults changed: update the fast constructors in model.py")


_check_twins()

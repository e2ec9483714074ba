"""A portfolio of policies: names, tags and notes, the changes still to review, and what each
`update` run has already reported (so a digest lists only what is new since the last run).

Names live in ``policies.label`` (every view already shows it); tags, notes, reviews and the
update bookkeeping have tables of their own (schema migration "portfolio"), so the ledger, which
hashes whole capture rows, is untouched: a review is a statement about the archive, not part of it.

A *change* is a version that has a baseline (``models.baseline``): the text a reader compares it
with. A policy's very first version is no change, and neither are versions that hold no policy text.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import curation
from .errors import UsageError
from .models import NOT_POLICY_TEXT, Policy, Version, baseline
from .storage import Archive
from .timestamps import now_iso
from .urls import display_url, normalize_url, policy_key


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    """What the portfolio knows of a policy beside its captures."""

    policy: Policy
    name: str  # the user's name, else the page title, else the host
    tags: tuple[str, ...]
    note: str
    last_change: str  # timestamp of the newest change, "" when it has none
    unreviewed: int  # changes nobody has marked reviewed


@dataclass(frozen=True, slots=True)
class Change:
    """A version and the one a reader compares it with: the window is (previous, timestamp]."""

    policy: Policy
    version: Version
    base: Version

    @property
    def timestamp(self) -> str:
        return self.version.timestamp

    @property
    def window(self) -> tuple[str, str]:
        """(last capture with the older text, first capture with this one)."""
        before = self.version.previous_capture
        return (before.timestamp if before else self.base.captures[-1].timestamp, self.version.timestamp)


@dataclass(frozen=True, slots=True)
class ChangeStart:
    """Where a change starts, as a policy list needs it (``Portfolio.change_starts``)."""

    timestamp: str  # the version's first capture
    text_sha256: str
    capture_id: int


@dataclass(frozen=True, slots=True)
class Review:
    policy_id: int
    version_timestamp: str
    text_sha256: str
    baseline_timestamp: str
    reviewer: str
    reviewed_at: str
    note: str


def default_reviewer() -> str:
    """$POLICYDIFF_REVIEWER, else the login name: who a review is recorded for when not said."""
    name = os.environ.get("POLICYDIFF_REVIEWER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags as stored: trimmed, lower-cased, no empties or repeats, sorted."""
    return tuple(sorted({t.strip().lower() for t in tags if t.strip()}))


def split_tags(cell: str) -> tuple[str, ...]:
    """A tags cell as people write it in a spreadsheet: ``vendor; eu`` or ``vendor, eu``."""
    return clean_tags(cell.replace(",", ";").split(";"))


def display_name(policy: Policy, title: str = "") -> str:
    """The one label every view uses: the name, else the page title, else the host and path."""
    if policy.label.strip():
        return policy.label.strip()
    if title.strip():
        return title.strip()
    shown = display_url(policy.url)  # an IDN reads as typed, not as xn--/%XX
    return shown.split("://", 1)[-1].removeprefix("www.").rstrip("/") or policy.url


class Portfolio:
    """The portfolio tables of one archive. Reads and writes go through the archive's connection."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    # --- names, tags, notes ----------------------------------------------------------------

    def track(self, url: str, name: str = "", tags: Sequence[str] = ()) -> tuple[Policy, bool]:
        """Add the policy at ``url`` with its name and tags in one transaction (a policy already
        tracked gets the name and tags given). Returns (policy, created)."""
        existing = self.archive.find_policy(url)
        display = normalize_url(url)
        with self.archive.curating() as conn:
            if existing is None:
                conn.execute(
                    "INSERT INTO policies(key, url, label, created_at) VALUES (?, ?, ?, ?)",
                    (policy_key(display), display, name.strip(), now_iso()),
                )
                policy_id = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
                # tracked before any capture: only this line brings it back after a rebuild
                curation.record(conn, "tracked", policy_id, label=name.strip())
            else:
                policy_id = existing.id
                if name.strip():
                    conn.execute("UPDATE policies SET label = ? WHERE id = ?", (name.strip(), policy_id))
                    curation.record(conn, "label", policy_id, label=name.strip())
            if tags:
                conn.execute("DELETE FROM policy_tags WHERE policy_id = ?", (policy_id,))
                conn.executemany(
                    "INSERT INTO policy_tags(policy_id, tag) VALUES (?, ?)",
                    [(policy_id, t) for t in clean_tags(tags)],
                )
                curation.record(conn, "tags", policy_id, tags=list(clean_tags(tags)))
        return self.archive.policy_by_id(policy_id), existing is None

    def set_name(self, policy: Policy, name: str) -> None:
        self.archive.set_label(policy.id, name.strip())

    def set_tags(self, policy: Policy, tags: Iterable[str]) -> None:
        cleaned = clean_tags(tags)
        with self.archive.curating() as conn:
            conn.execute("DELETE FROM policy_tags WHERE policy_id = ?", (policy.id,))
            conn.executemany(
                "INSERT INTO policy_tags(policy_id, tag) VALUES (?, ?)",
                [(policy.id, t) for t in cleaned],
            )
            # the whole set, not what was added or taken off: replaying it needs no earlier line
            curation.record(conn, "tags", policy.id, tags=list(cleaned))

    def set_note(self, policy: Policy, note: str) -> None:
        with self.archive.curating() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO policy_notes(policy_id, note) VALUES (?, ?)",
                (policy.id, note.strip()),
            )
            curation.record(conn, "note", policy.id, note=note.strip())

    def remove(self, policy: Policy) -> None:
        """Take ``policy`` off the list. Its captures stay in the archive and in the ledger, which
        is append-only (verify still checks them); fetching or tracking the URL brings it back."""
        retired_at = now_iso()
        with self.archive.curating() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO retired_policies(policy_id, retired_at) VALUES (?, ?)",
                (policy.id, retired_at),
            )
            curation.record(conn, "removed", policy.id, retired_at=retired_at)

    def tags(self) -> dict[int, tuple[str, ...]]:
        out: dict[int, list[str]] = {}
        for row in self.archive.query("SELECT policy_id, tag FROM policy_tags ORDER BY tag"):
            out.setdefault(row["policy_id"], []).append(row["tag"])
        return {k: tuple(v) for k, v in out.items()}

    def notes(self) -> dict[int, str]:
        return {r["policy_id"]: r["note"] for r in self.archive.query("SELECT * FROM policy_notes")}

    def titles(self) -> dict[int, str]:
        """The page title of each policy's newest extracted capture (the name's fallback)."""
        rows = self.archive.query(
            "SELECT c.policy_id, e.title FROM captures c JOIN extractions e ON e.capture_id = c.id"
            " WHERE e.title != '' ORDER BY c.timestamp"
        )
        return {r["policy_id"]: r["title"] for r in rows}  # the newest wins

    def infos(self, tag: str = "") -> list[PolicyInfo]:
        """Every policy (or those with ``tag``) with its name, tags, note and review state.

        Read in a few queries for the whole archive (``change_starts``), not through each policy's
        versions: the app's list of hundreds of policies must come in well under a second."""
        tags, notes, titles = self.tags(), self.notes(), self.titles()
        reviewed = self._reviewed_keys()
        starts = self.change_starts()
        wanted = tag.strip().lower()
        out = []
        for policy in self.archive.policies():
            ptags = tags.get(policy.id, ())
            if wanted and wanted not in ptags:
                continue
            changes = starts.get(policy.id, [])
            out.append(
                PolicyInfo(
                    policy=policy,
                    name=display_name(policy, titles.get(policy.id, "")),
                    tags=ptags,
                    note=notes.get(policy.id, ""),
                    last_change=changes[-1].timestamp if changes else "",
                    unreviewed=sum(
                        1 for c in changes if (policy.id, c.timestamp, c.text_sha256) not in reviewed
                    ),
                )
            )
        return out

    # --- changes and reviews ---------------------------------------------------------------

    def change_starts(self, policy_id: int | None = None) -> dict[int, list[ChangeStart]]:
        """Where each policy's changes start, from one query over the captures: the versions as
        ``Archive.versions`` groups them (texts with the same words are one), those holding policy
        text, each that has an earlier one (``models.baseline``). None of the text is read."""
        where = " WHERE c.policy_id = ?" if policy_id is not None else ""
        rows = self.archive.query(
            "SELECT c.policy_id, c.id, c.timestamp, c.flags AS c_flags, e.text_sha256, e.flags AS e_flags,"
            " COALESCE(w.words_sha256, e.text_sha256) AS t_key"
            " FROM captures c JOIN extractions e ON e.capture_id = c.id"
            " LEFT JOIN text_words w ON w.text_sha256 = e.text_sha256"
            f"{where} ORDER BY c.policy_id, c.timestamp, c.id",
            (policy_id,) if policy_id is not None else (),
        )
        out: dict[int, list[ChangeStart]] = {}
        key: tuple[int, str] | None = None
        seen_text: set[int] = set()  # policies with a version of policy text so far
        for r in rows:
            if (r["policy_id"], r["t_key"]) == key:
                continue  # the same version goes on
            key = (r["policy_id"], r["t_key"])
            flags = set(json.loads(r["e_flags"])) | set(json.loads(r["c_flags"]))
            if NOT_POLICY_TEXT & flags:
                continue
            if r["policy_id"] in seen_text:
                out.setdefault(r["policy_id"], []).append(
                    ChangeStart(r["timestamp"], r["text_sha256"], r["id"])
                )
            seen_text.add(r["policy_id"])
        return out

    def changes(self, policy: Policy, versions: Sequence[Version] | None = None) -> list[Change]:
        versions = self.archive.versions(policy.id) if versions is None else versions
        out = []
        for i, version in enumerate(versions):
            b = baseline(versions, i)
            if b is not None and version.is_policy_text:
                out.append(Change(policy, version, versions[b]))
        return out

    def unreviewed(self, policies: Iterable[Policy]) -> list[Change]:
        reviewed = self._reviewed_keys()
        return [c for p in policies for c in self.changes(p) if _review_key(c) not in reviewed]

    def mark_reviewed(self, policy: Policy, timestamp: str, reviewer: str = "", note: str = "") -> Review:
        """Record that ``reviewer`` read the change to the version at ``timestamp`` (a version's
        first capture, or any capture time prefix that picks one)."""
        version = self.archive.version_at(policy.url, timestamp)
        change = next((c for c in self.changes(policy) if c.version.index == version.index), None)
        if change is None:
            raise UsageError(
                f"the version of {display_url(policy.url)} at {version.timestamp} is not a change "
                "(it is the first version, or holds no policy text): nothing to review"
            )
        review = Review(
            policy_id=policy.id,
            version_timestamp=version.timestamp,
            text_sha256=version.text_sha256,
            baseline_timestamp=change.base.timestamp,
            reviewer=reviewer.strip() or default_reviewer(),
            reviewed_at=now_iso(),
            note=note.strip(),
        )
        with self.archive.curating() as conn:
            cur = conn.execute(
                "INSERT INTO reviews(policy_id, version_timestamp, text_sha256, baseline_timestamp,"
                " reviewer, reviewed_at, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    review.policy_id,
                    review.version_timestamp,
                    review.text_sha256,
                    review.baseline_timestamp,
                    review.reviewer,
                    review.reviewed_at,
                    review.note,
                ),
            )
            row = conn.execute("SELECT * FROM reviews WHERE id = ?", (cur.lastrowid,)).fetchone()
            curation.record(conn, "review", policy.id, **curation.review_data(row))
        return review

    def reviews(self, policy: Policy | None = None) -> list[Review]:
        """The review log, oldest first (a change reviewed twice keeps both entries)."""
        sql = "SELECT * FROM reviews" + (" WHERE policy_id = ?" if policy else "") + " ORDER BY id"
        rows = self.archive.query(sql, (policy.id,) if policy else ())
        return [
            Review(
                policy_id=r["policy_id"],
                version_timestamp=r["version_timestamp"],
                text_sha256=r["text_sha256"],
                baseline_timestamp=r["baseline_timestamp"],
                reviewer=r["reviewer"],
                reviewed_at=r["reviewed_at"],
                note=r["note"],
            )
            for r in rows
        ]

    def reviews_by_version(self, policy: Policy) -> dict[str, tuple[Review, ...]]:
        """The review log of ``policy`` by the reviewed version's timestamp."""
        out: dict[str, list[Review]] = {}
        for review in self.reviews(policy):
            out.setdefault(review.version_timestamp, []).append(review)
        return {k: tuple(v) for k, v in out.items()}

    def _reviewed_keys(self) -> set[tuple[int, str, str]]:
        # a review holds for the text it saw: a re-extraction that changes the text asks again
        rows = self.archive.query("SELECT policy_id, version_timestamp, text_sha256 FROM reviews")
        return {(r["policy_id"], r["version_timestamp"], r["text_sha256"]) for r in rows}

    # --- update runs -----------------------------------------------------------------------

    def seen_up_to(self, policy: Policy) -> int:
        """The highest capture id an earlier `update` run reported for ``policy`` (0: never run)."""
        rows = self.archive.query(
            "SELECT last_capture_id FROM policy_updates WHERE policy_id = ?", (policy.id,)
        )
        return int(rows[0]["last_capture_id"]) if rows else 0

    def new_changes(self, policy: Policy) -> list[Change]:
        """Changes whose first capture was stored after the last reported run: with change-point
        discovery a new capture may land inside an old gap, so ids, not times, say what is new."""
        seen = self.seen_up_to(policy)
        if not any(c.capture_id > seen for c in self.change_starts(policy.id).get(policy.id, [])):
            return []  # nothing new: the versions (with their flags, which read texts) are not built
        return [c for c in self.changes(policy) if c.version.first.id > seen]

    def mark_reported(self, policy: Policy) -> None:
        rows = self.archive.query("SELECT MAX(id) AS m FROM captures WHERE policy_id = ?", (policy.id,))
        last = int(rows[0]["m"] or 0)
        with self.archive.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO policy_updates(policy_id, last_capture_id, updated_at)"
                " VALUES (?, ?, ?)",
                (policy.id, last, now_iso()),
            )

    def selection(self, tag: str = "", urls: Sequence[str] = ()) -> list[Policy]:
        """The policies an `update` covers: those named, else those with ``tag``, else all."""
        if urls:
            return [self.archive.get_policy(u) for u in urls]
        if tag:
            wanted = tag.strip().lower()
            ids = {pid for pid, tags in self.tags().items() if wanted in tags}
            chosen = [p for p in self.archive.policies() if p.id in ids]
            if not chosen:
                # a usage error (exit 2): for `update`, exit 1 means "something changed"
                raise UsageError(f"no policy has the tag {wanted!r}; see 'policydiff policies'")
            return chosen
        return self.archive.policies()


def _review_key(change: Change) -> tuple[int, str, str]:
    return (change.policy.id, change.version.timestamp, change.version.text_sha256)

"""Two archives that disagree on the same day: the versions say so; agreeing archives, or a file
and an archive, do not."""

from __future__ import annotations

from pathlib import Path

from archiver.models import Capture, Extraction, Flag, Source
from archiver.storage import Archive, text_sha256

URL = "https://example.com/privacy"
IA = "https://web.archive.org/web/"
LIB = "https://webarchive.library.example/wayback/"


def store(arc: Archive, ts: str, archive: str, text: str, source: Source = Source.MEMENTO) -> None:
    policy = arc.ensure_policy(URL)
    capture = Capture(
        id=0,
        policy_id=0,
        source=source,
        timestamp=ts,
        original_url=URL,
        archive=archive,
        memento_url=f"{archive}{ts}id_/{URL}" if archive else "",
    )
    body = f"<html><body><main><p>{text}</p></main></body></html>".encode()
    extraction = Extraction(
        text=text, text_sha256=text_sha256(text), extractor_version="t", words=len(text.split())
    )
    arc.add_capture(policy, capture, body, extraction)


def flags(arc: Archive) -> list[tuple[str, bool]]:
    versions = arc.versions(arc.get_policy(URL).id)
    return [(v.timestamp, Flag.ARCHIVES_DISAGREE.value in v.flags) for v in versions]


def test_same_day_captures_with_other_texts_in_two_archives_are_flagged(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        store(arc, "20230101080000", IA, "We keep data for one year.")
        store(arc, "20230301080000", IA, "We keep data for one year.")
        store(arc, "20230301170000", LIB, "We keep data for two years.")  # same day, other text
        store(arc, "20230601080000", IA, "We keep data for two years.")
        store(arc, "20230602080000", LIB, "We keep data for two years.")  # agrees (and another day)
        assert flags(arc) == [
            ("20230101080000", True),  # holds the 1 March IA capture
            ("20230301170000", True),
        ]


def test_one_archive_or_an_archive_and_a_file_never_disagree(tmp_path: Path) -> None:
    with Archive.open(tmp_path) as arc:
        store(arc, "20230101080000", IA, "Old text of the policy.")
        store(arc, "20230101200000", IA, "New text of the policy.")  # the site changed that day
        store(arc, "20230101210000", "", "Another text from a saved file.", Source.FILE)
        assert all(not flagged for _, flagged in flags(arc))

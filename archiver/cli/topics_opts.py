"""The --topics option the comparing commands share, and topic tags in their JSON."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..analysis.topics import TopicMatch, Watchlist, load_watchlist, priority, watchlist_path
from . import archive_root


def add_topics_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--topics",
        metavar="FILE",
        help="topic watchlist (JSON) to tag changes with (default: topics.json in the archive folder "
        "when there is one, else the watchlist shipped with policydiff)",
    )


def load_topics(args: argparse.Namespace) -> Watchlist:
    """The watchlist --topics names, else the archive's, else the shipped one (WatchlistError: exit 2)."""
    if getattr(args, "topics", None):
        return load_watchlist(Path(args.topics).expanduser())
    return load_watchlist(watchlist_path(archive_root(args)))


def topics_json(matches: tuple[TopicMatch, ...]) -> dict[str, Any]:
    """A change's ``topics`` (each with its name and matched words) and its ``priority``."""
    found = priority(matches)
    return {
        "topics": [m.as_json() for m in matches],
        "priority": {"score": found.score, "why": found.why},
    }

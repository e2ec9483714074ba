"""Argument validators shared by every command (argparse ``type=``) and the app's fields.

Each checks one kind of value with the core's own parser (dates: archiver.timestamps, URLs:
archiver.urls) and returns the value as typed, so commands see what they saw before; a bad value
stops the command line at parse time with ``policydiff CMD: error: argument --to: bad date …``
and exit 2, before any archive is opened or any request is sent.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from ..errors import InvalidDateError, UsageError
from ..timestamps import from_datetime, parse_date_arg
from ..urls import normalize_url

T = TypeVar("T")

_VERSIONED = re.compile(r"[0-9][0-9\-: T]*")  # the TIMESTAMP of URL@TIMESTAMP: 2024, 2024-05-31 18:33


def _typed(check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a checker that raises UsageError."""

    def convert(value: str) -> T:
        try:
            return check(value)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = check.__name__  # argparse names the type in its fallback message
    return convert


def check_date(value: str) -> str:
    """4–14 digits that are a real date and time (``2023-13`` is not)."""
    parse_date_arg(value)
    parse_date_arg(value, pad="up")
    return value.strip()


def check_capture_date(value: str, now: datetime | None = None) -> str:
    """A capture time as 14 digits: a real date, not in the future (a capture cannot be)."""
    full = parse_date_arg(value)
    if full > from_datetime(now or datetime.now(UTC)):
        raise InvalidDateError(value, "it is in the future (times are UTC); a capture cannot be")
    return full


def check_url(value: str) -> str:
    normalize_url(value)
    return value


def check_prefix(value: str) -> str:
    """An archive's replay prefix (``--archive-url``), checked as the client will use it."""
    from ..client.endpoints import archive_endpoint

    archive_endpoint(value)
    return value


def split_versioned(spec: str) -> tuple[str, str] | None:
    """``URL@TIMESTAMP`` as (url, timestamp); None when ``spec`` has no ``@TIMESTAMP`` part.
    Raises UsageError for a bad URL or a timestamp that is not a real date."""
    url, at, timestamp = spec.rpartition("@")
    if not (at and url and _VERSIONED.fullmatch(timestamp.strip())):
        return None
    check_url(url)
    return url, check_date(timestamp)


def check_versioned(spec: str) -> str:
    if split_versioned(spec) is None:
        raise UsageError(f"{spec!r}: expected URL@TIMESTAMP, e.g. https://example.com/privacy@2024")
    return spec


def check_count(value: str) -> int:
    """A whole number, 0 or more."""
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise UsageError(f"{value!r} is not a whole number 0 or more")
    return int(text)


def check_path(value: str) -> str:
    """A file or folder name: not empty, no NUL (the system cannot name it)."""
    if not value.strip():
        raise UsageError("an empty file name")
    if "\x00" in value:
        raise UsageError(f"{value!r}: a file name cannot contain a NUL character")
    return value


date_arg = _typed(check_date)
capture_date_arg = _typed(check_capture_date)
url_arg = _typed(check_url)
prefix_arg = _typed(check_prefix)
versioned_arg = _typed(check_versioned)
count_arg = _typed(check_count)
path_arg = _typed(check_path)
file_arg = _typed(lambda value: Path(check_path(value)))

"""14-digit Wayback timestamps (YYYYMMDDhhmmss, UTC) and the 4-to-14-digit dates users type."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import UTC, datetime

from .errors import InvalidDateError

_DIGITS = re.compile(r"[0-9]{4,14}")  # ASCII digits only: int() would take other scripts' digits
_SEPARATORS = re.compile(r"[-:T ]")
_LOW = "00000101000000"
_HIGH = "99991231235959"
_FIELDS = (("month", 4, 1, 12), ("hour", 8, 0, 23), ("minute", 10, 0, 59), ("second", 12, 0, 59))


def parse_date_arg(value: str, *, pad: str = "down") -> str:
    """Turn 4–14 digits into a full 14-digit timestamp, as the CDX API does.

    ``pad="down"`` fills the start of the period (``2020`` → ``20200101000000``), ``"up"`` its end
    (``2020`` → ``20201231235959``). Separators ``-``, ``:``, ``T``, space are accepted and dropped.
    A value that is not a real calendar date and time (month 13, 31 April, hour 24) raises
    InvalidDateError naming the field, never ValueError.
    """
    digits = _SEPARATORS.sub("", value.strip())
    if not _DIGITS.fullmatch(digits) or len(digits) % 2:
        raise InvalidDateError(value)
    full = digits + (_LOW if pad == "down" else _HIGH)[len(digits) :]
    reason = _calendar_problem(full)
    if reason:
        raise InvalidDateError(value, reason)
    if pad == "up" and len(digits) < 8:  # the last day of the month, not the 31st of every month
        full = full[:6] + f"{monthrange(int(full[:4]), int(full[4:6]))[1]:02d}" + full[8:]
    reason = _day_problem(full)
    if reason:
        raise InvalidDateError(value, reason)
    return full


def _calendar_problem(full: str) -> str:
    """Why a padded 14-digit value is not a date and time ("" when its fields are in range)."""
    if full[:4] == "0000":
        return "there is no year 0000"
    for name, start, low, high in _FIELDS:
        number = int(full[start : start + 2])
        if not low <= number <= high:
            return f"{name} {full[start : start + 2]} does not exist ({low:02d} to {high:02d})"
    return ""


def _day_problem(full: str) -> str:
    days = monthrange(int(full[:4]), int(full[4:6]))[1]
    day = int(full[6:8])
    if not 1 <= day <= days:
        return f"day {full[6:8]} does not exist in {full[:4]}-{full[4:6]} (01 to {days:02d})"
    return ""


def is_timestamp(value: str) -> bool:
    """Whether ``value`` is a real 14-digit UTC timestamp."""
    return (
        len(value) == 14
        and _DIGITS.fullmatch(value) is not None
        and not (_calendar_problem(value) or _day_problem(value))
    )


def to_datetime(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def from_datetime(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def now_iso() -> str:
    """The current time as ISO 8601 UTC with seconds, for retrieval times."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def display(ts: str) -> str:
    """``20230425183000`` → ``2023-04-25 18:30:00``."""
    return f"{ts[:4]}-{ts[4:6]}-{ts[6:8]} {ts[8:10]}:{ts[10:12]}:{ts[12:14]}"

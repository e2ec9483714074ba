"""14-digit Wayback timestamps (YYYYMMDDhhmmss, UTC) and the 4-to-14-digit dates users type."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import InvalidDateError

_DIGITS = re.compile(r"\d{4,14}")
_LOW = "00000101000000"
_HIGH = "99991231235959"


def parse_date_arg(value: str, *, pad: str = "down") -> str:
    """Turn 4–14 digits into a full 14-digit timestamp, as the CDX API does.

    ``pad="down"`` fills the start of the period (``2020`` → ``20200101000000``), ``"up"`` its end
    (``2020`` → ``20201231235959``). Separators ``-``, ``:``, ``T``, space are accepted and dropped.
    """
    digits = re.sub(r"[-:T ]", "", value.strip())
    if not _DIGITS.fullmatch(digits) or len(digits) % 2:
        raise InvalidDateError(value)
    full = digits + (_LOW if pad == "down" else _HIGH)[len(digits) :]
    if pad == "up" and len(digits) < 8:
        # the last day of the month, not the 31st of every month
        month_end = datetime(int(full[:4]), int(full[4:6]), 1)
        from calendar import monthrange

        full = full[:6] + f"{monthrange(month_end.year, month_end.month)[1]:02d}" + full[8:]
    try:
        to_datetime(full)
    except ValueError:
        raise InvalidDateError(value, "not a real date and time") from None
    return full


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

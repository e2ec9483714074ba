"""ArchiverError → message-bar text: the specific cause and what to do, never a traceback."""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from typing import Any

import pytest

from archiver.errors import (
    ArchiveNotWritableError,
    BlockedError,
    CancelledError,
    ConnectionBlockedError,
    ErrorKind,
    InvalidURLError,
    NetworkError,
    NoMementoError,
    RateLimitedError,
    StorageError,
)
from ui.messages import ERROR, INFO, MessageBar, describe


def test_rate_limited_says_until_when_in_local_time() -> None:
    retry = datetime(2026, 1, 2, 13, 45, tzinfo=UTC)
    message = describe(RateLimitedError("web.archive.org", retry))
    assert f"rate-limited until {retry.astimezone():%H:%M}" in message.text
    assert not message.details


def test_a_firewall_block_says_when_to_try_again_in_local_time() -> None:
    retry = datetime(2026, 1, 2, 14, 30, tzinfo=UTC)
    message = describe(ConnectionBlockedError("web.archive.org", retry))
    assert "web.archive.org is refusing connections from this network" in message.text
    assert f"Try again after {retry.astimezone():%H:%M}; the fetch resumes where it stopped" in message.text
    assert message.level == ERROR and not message.details


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (BlockedError("https://x.example/", "the site is excluded from the Wayback Machine"), "excluded"),
        (NetworkError("TLS/certificate error", kind=ErrorKind.CONNECTION), "No network"),
        (ConnectionBlockedError("web.archive.org", None), "refusing connections"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        (ArchiveNotWritableError("/a", "No space left on device", ErrorKind.DISK_FULL), "disk is full"),
        (StorageError("could not write: database or disk is full", kind=ErrorKind.DISK_FULL), "disk is full"),
        (ArchiveNotWritableError("/ro", "read-only file system"), "File → Open Archive"),
        (InvalidURLError("ftp://x", "not http(s)"), "Not a web page URL"),
    ],
)
def test_known_errors_have_specific_text(exc: BaseException, expected: str) -> None:
    message = describe(exc)
    assert expected in message.text
    assert message.level == ERROR and not message.details


def test_messages_follow_the_kind_not_the_words() -> None:
    """Words alone decide nothing: a message that merely mentions a full disk or the network is
    shown as it is, and the command line's advice never reaches the app's bar."""
    assert describe(StorageError("no space left in the queue")).text == "no space left in the queue"
    slots = describe(NetworkError("Save Page Now has no free capture slot for this account now"))
    assert not slots.text.startswith("No network") and "free capture slot" in slots.text
    blocked = BlockedError(
        "https://x.example/", "blocked by robots.txt", ErrorKind.ROBOTS, "use --archive-url"
    )
    assert "--archive-url" not in describe(blocked).text and "robots.txt" in describe(blocked).text
    missing = describe(NoMementoError("https://x.example/", "2020"))
    assert "policydiff captures" not in missing.text and "https://x.example/ at 2020" in missing.text
    readonly = describe(ArchiveNotWritableError("/ro", "Read-only file system"))
    assert "--archive" not in readonly.text and "/ro: Read-only file system" in readonly.text


def test_cancel_is_information() -> None:
    assert describe(CancelledError()).level == INFO


def test_a_bug_is_a_short_bar_with_details(qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    bar = MessageBar()
    qtbot.addWidget(bar)
    bar.show()
    try:
        raise KeyError("oops")
    except KeyError as exc:
        bar.show_error(exc)
    assert bar.isVisible() and "Unexpected error (KeyError)" in bar.label.text()
    assert "Traceback" not in bar.label.text()
    assert bar.details_button.isVisibleTo(bar) and "KeyError" in bar.message.details
    assert "unexpected error" in caplog.text
    with qtbot.waitSignal(bar.closed):
        bar.dismiss()
    assert not bar.isVisible()

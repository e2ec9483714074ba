"""One process-wide pacer: how fast we may talk to each archive, and when we must stop.

The Internet Archive firewalls addresses that ignore its 429s (docs/protocols.md §3), and its limits
are per IP, so every thread of the process must share one budget per host and endpoint group.
Time comes from an injectable :class:`Clock` so tests run in simulated time and never sleep.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ..errors import CancelledError, ConnectionBlockedError, RateLimitedError

#: Endpoint groups. Each (host, group) pair has its own interval, pause and 429 history.
LISTING = "listing"  # CDX, TimeMap
MEMENTO = "memento"  # {prefix}{ts}id_/{url}
LIVE = "live"  # the policy's own site
SPN = "spn"  # Save Page Now submit and status

#: Defaults in requests per second (docs/protocols.md §8).
IA_RATES = {LISTING: 0.4, MEMENTO: 1.0, SPN: 0.1, LIVE: 1.0}
OTHER_RATES = {LISTING: 1.0, MEMENTO: 1.0, SPN: 0.1, LIVE: 1.0}

PAUSE_AFTER_429 = 60.0  # seconds, at least
HALF_RATE_FOR = 600.0  # seconds at half rate after a pause
STORM_WINDOW = 600.0  # the third 429 within this many seconds stops the job
STORM_COUNT = 3
BLOCK_SUSPECT_WINDOW = 120.0  # connection failures this soon after a 429 mean a firewall block
BLOCK_PAUSE = 3600.0


class Clock(Protocol):
    """Where the pacer and the retry loop get time from."""

    def now(self) -> float:
        """Monotonic seconds."""
        ...

    def utcnow(self) -> datetime:
        """Wall-clock time, for messages ("retry after 14:05 UTC")."""
        ...

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> None:
        """Wait; raise CancelledError promptly if ``cancel`` is set."""
        ...


class SystemClock:
    """Real time. Waits on the cancel event, so a cancel ends any wait at once."""

    def now(self) -> float:
        return time.monotonic()

    def utcnow(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> None:
        if cancel is None:
            cancel = threading.Event()
        if cancel.is_set() or (seconds > 0 and cancel.wait(seconds)):
            raise CancelledError()


class ManualClock:
    """Simulated time for tests: ``sleep`` advances the clock instead of waiting."""

    def __init__(self, start: float = 1000.0, wall: datetime | None = None) -> None:
        self._t = start
        self._start = start
        self._wall = wall or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._t

    def utcnow(self) -> datetime:
        with self._lock:
            return self._wall + timedelta(seconds=self._t - self._start)

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError()
        with self._lock:
            self.sleeps.append(seconds)
            self._t += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds


@dataclass
class _Slot:
    """Pacing state of one (host, group)."""

    interval: float
    next_at: float = 0.0
    paused_until: float = 0.0
    half_until: float = 0.0
    last_429: float | None = None
    hits: deque[float] = field(default_factory=deque)


class Pacer:
    """Minimum-interval pacing per (host, group), with 429 pauses and a stop after a 429 storm.

    Thread-safe: a caller reserves its slot under the lock, then waits outside it, so concurrent
    threads queue up one interval apart.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        rates: dict[tuple[str, str], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self._overrides = dict(rates or {})
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._lock = threading.Lock()

    @staticmethod
    def default_rate(host: str, group: str) -> float:
        is_ia = host == "archive.org" or host.endswith(".archive.org")
        return (IA_RATES if is_ia else OTHER_RATES).get(group, 1.0)

    def _slot(self, host: str, group: str) -> _Slot:
        key = (host, group)
        slot = self._slots.get(key)
        if slot is None:
            rate = self._overrides.get(key, self.default_rate(host, group))
            slot = self._slots[key] = _Slot(interval=1.0 / rate if rate > 0 else 0.0)
        return slot

    def wait(self, host: str, group: str, cancel: threading.Event | None = None) -> None:
        """Block until a request to (host, group) may start; raises CancelledError on cancel.

        A slot is booked only when it has come: a waiter looks again after each sleep, so a 429
        pause that began meanwhile (from another thread) holds it back too.
        """
        while True:
            with self._lock:
                slot = self._slot(host, group)
                now = self.clock.now()
                start = max(now, slot.next_at, slot.paused_until)
                if start <= now:
                    slot.next_at = now + slot.interval * (2 if now < slot.half_until else 1)
                    return
            self.clock.sleep(start - now, cancel)

    def on_429(self, host: str, group: str, retry_after: float | None = None) -> float:
        """Record a live 429: pause the group, then half rate. Returns the pause in seconds.

        Raises RateLimitedError on the third 429 within ten minutes.
        """
        with self._lock:
            slot = self._slot(host, group)
            now = self.clock.now()
            slot.hits.append(now)
            while slot.hits and slot.hits[0] < now - STORM_WINDOW:
                slot.hits.popleft()
            pause = max(PAUSE_AFTER_429, retry_after or 0.0)
            slot.paused_until = max(slot.paused_until, now + pause)
            slot.half_until = slot.paused_until + HALF_RATE_FOR
            slot.next_at = max(slot.next_at, slot.paused_until)
            slot.last_429 = now
            storm = len(slot.hits) >= STORM_COUNT
        if storm:
            raise RateLimitedError(host, self.clock.utcnow() + timedelta(seconds=pause))
        return pause

    def on_connection_failure(self, host: str, group: str) -> None:
        """Connections failing soon after a 429 from that host (any endpoint: a firewall blocks the
        whole address) mean a firewall block: pause every endpoint of the host for an hour."""
        with self._lock:
            self._slot(host, group)
            now = self.clock.now()
            slots = [slot for (h, _g), slot in self._slots.items() if h == host]
            last_429 = max((s.last_429 for s in slots if s.last_429 is not None), default=None)
            if last_429 is None or now - last_429 > BLOCK_SUSPECT_WINDOW:
                return
            for name in {g for (h, g) in self._slots if h == host} | {LISTING, MEMENTO}:
                slot = self._slot(host, name)
                slot.paused_until = max(slot.paused_until, now + BLOCK_PAUSE)
        raise ConnectionBlockedError(host, self.clock.utcnow() + timedelta(seconds=BLOCK_PAUSE))

    def blocked_until(self, host: str, group: str) -> float:
        """Monotonic time until which the group is paused (0 when it is not)."""
        with self._lock:
            slot = self._slots.get((host, group))
            return slot.paused_until if slot else 0.0

    def open_breakers(self) -> dict[str, str]:
        """Pauses still running, as {"host group": ISO UTC end}, to persist across restarts."""
        with self._lock:
            now, wall = self.clock.now(), self.clock.utcnow()
            return {
                f"{host} {group}": (wall + timedelta(seconds=slot.paused_until - now)).isoformat()
                for (host, group), slot in self._slots.items()
                if slot.paused_until > now
            }

    def restore_breakers(self, saved: dict[str, str]) -> None:
        """Honour pauses persisted by an earlier run (a firewall block outlives the process)."""
        for key, until in saved.items():
            host, _, group = key.partition(" ")
            try:
                end = datetime.fromisoformat(until)
            except ValueError:
                continue
            with self._lock:
                remaining = (end - self.clock.utcnow()).total_seconds()
                if remaining > 0:
                    slot = self._slot(host, group)
                    slot.paused_until = max(slot.paused_until, self.clock.now() + remaining)
                    slot.next_at = max(slot.next_at, slot.paused_until)

    def backoff(self, attempt: int) -> float:
        """Jittered exponential delay before retry ``attempt`` (1-based): about 2, 4, 8, 16 s."""
        return float(min(60.0, 2.0 * 2 ** (attempt - 1)) * self.rng.uniform(0.5, 1.0))


_default: Pacer | None = None
_default_lock = threading.Lock()


def default_pacer() -> Pacer:
    """The process-wide pacer every session shares unless it is given another one."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Pacer()
        return _default

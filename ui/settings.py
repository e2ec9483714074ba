"""Persistent preferences (QSettings): window geometry, splitter positions, what the timeline plots,
last archive, archives used."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from archiver.urls import policy_key

ORGANISATION = "policydiff"
APPLICATION = "policydiff"
DEFAULT_ARCHIVE_PREFIX = "https://web.archive.org/web/"
MAX_RECENT = 8


class Settings:
    """Typed access to the user's QSettings; tests pass an INI file path to stay isolated."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            self.q = QSettings(
                QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
            )
        else:
            self.q = QSettings(str(path), QSettings.Format.IniFormat)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.q.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def state(self, name: str) -> QByteArray | None:
        """Saved geometry/state blob of a window or splitter."""
        return self._bytes(f"state/{name}")

    def set_state(self, name: str, value: QByteArray) -> None:
        self.q.setValue(f"state/{name}", value)

    @property
    def last_archive(self) -> str:
        return str(self.q.value("archive/last", "") or "")

    @last_archive.setter
    def last_archive(self, path: str) -> None:
        self.q.setValue("archive/last", path)
        recent = [path, *(p for p in self.recent_archives if p != path)][:MAX_RECENT]
        self.q.setValue("archive/recent", recent)

    @property
    def ca_bundle(self) -> str:
        """A PEM file of certificates HTTPS trusts instead of the system's ("" for the system's)."""
        return str(self.q.value("network/ca_bundle", "") or "")

    @ca_bundle.setter
    def ca_bundle(self, path: str) -> None:
        self.q.setValue("network/ca_bundle", path)

    @property
    def reviewer(self) -> str:
        """The name reviews are recorded under ("" until the user gives one)."""
        return str(self.q.value("review/reviewer", "") or "")

    @reviewer.setter
    def reviewer(self, name: str) -> None:
        self.q.setValue("review/reviewer", name)

    @property
    def update_every_hours(self) -> int:
        """How often the app runs Update All while it is open (0: never)."""
        value = str(self.q.value("update/every_hours", 0) or 0)
        return max(0, int(value)) if value.isdigit() else 0

    @update_every_hours.setter
    def update_every_hours(self, hours: int) -> None:
        self.q.setValue("update/every_hours", int(hours))

    @property
    def timeline_plot(self) -> str:
        """What the timeline plots: a measure's name (archiver.analysis.measures.MEASURES), or ""
        for the change size in words."""
        return str(self.q.value("view/timeline_plot", "") or "")

    @timeline_plot.setter
    def timeline_plot(self, name: str) -> None:
        self.q.setValue("view/timeline_plot", name)

    @property
    def recent_archives(self) -> list[str]:
        return _strings(self.q.value("archive/recent", []))

    @property
    def archive_prefixes(self) -> list[str]:
        """Replay prefixes the user fetched from, the Wayback Machine first."""
        saved = _strings(self.q.value("fetch/prefixes", []))
        return [DEFAULT_ARCHIVE_PREFIX, *(p for p in saved if p and p != DEFAULT_ARCHIVE_PREFIX)]

    def remember_prefix(self, prefix: str) -> None:
        saved = [p for p in self.archive_prefixes if p not in (prefix, DEFAULT_ARCHIVE_PREFIX)]
        self.q.setValue("fetch/prefixes", [prefix, *saved][:MAX_RECENT])

    def remember_fetch(
        self,
        url: str,
        prefix: str,
        kind: str,
        from_date: str | None,
        to_date: str | None,
        exact: bool = False,
    ) -> None:
        """How a policy was last fetched (filed under the policy, whichever variant of its URL was
        asked for), so Fetch History (F5) asks the same archive the same way for the same URL."""
        value = [prefix, kind, from_date or "", to_date or "", "exact" if exact else "", url]
        self.q.setValue(f"fetch/last/{_key(policy_key(url))}", value)

    def last_fetch(self, url: str) -> tuple[str, str, str | None, str | None, bool, str] | None:
        """(prefix, kind, from, to, exact, the URL asked for) of the last fetch of ``url``'s policy."""
        value = self.q.value(f"fetch/last/{_key(policy_key(url))}")
        if not isinstance(value, list) or len(value) != 6:
            value = self.q.value(f"fetch/last/{_key(url)}")  # saved by an earlier version, by URL
            if not isinstance(value, list) or len(value) not in (4, 5):
                return None
            value = [*value, ""][:5] + [url]
        prefix, kind, start, end, exact, asked = (str(v) for v in value)
        return prefix, kind, start or None, end or None, exact == "exact", asked

    def sync(self) -> None:
        self.q.sync()


def _key(url: str) -> str:
    import hashlib

    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]  # QSettings keys cannot hold '/' freely


def _strings(value: object) -> list[str]:
    """A QSettings list (an INI file gives back a bare string for a one-item list)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []

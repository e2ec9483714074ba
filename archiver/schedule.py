"""The platform's own scheduler entry that runs `policydiff update` (a systemd user timer on Linux,
a launchd agent on macOS, a Task Scheduler task on Windows; or a crontab line, on request).

The entry is text we write into the user's own configuration folder; turning it on is one command
of the platform's, which we print rather than run, so installing never changes a running system
behind the user's back (and a test in a temporary home touches nothing else).
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

#: how often, in each scheduler's words: systemd OnCalendar, cron fields, launchd seconds, schtasks /SC
PERIODS = {
    "hourly": ("hourly", "17 * * * *", 3600, "HOURLY"),
    "daily": ("daily", "17 6 * * *", 86400, "DAILY"),
    "weekly": ("weekly", "17 6 * * 1", 604800, "WEEKLY"),
}
NAME = "policydiff-update"


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """What to write where, and the command that turns it on."""

    platform: str  # systemd | cron | launchd | schtasks
    files: tuple[tuple[Path, str], ...]  # (path, content) to write
    enable: str  # the command the user runs to turn the entry on (or the crontab line to add)


def update_command(program: Sequence[str], archive: Path, tag: str = "") -> list[str]:
    return [*program, "--archive", str(archive), "update", *(["--tag", tag] if tag else [])]


def schedule_entry(
    period: str,
    archive: Path,
    home: Path,
    *,
    tag: str = "",
    platform: str | None = None,
    program: Sequence[str] | None = None,
) -> ScheduleEntry:
    """The entry for this platform (or ``platform``: systemd, cron, launchd, schtasks)."""
    if period not in PERIODS:
        raise UsageError(f"unknown period {period!r}: use one of {', '.join(PERIODS)}")
    calendar, cron, seconds, sc = PERIODS[period]
    program = list(program or default_program())
    argv = update_command(program, archive, tag)
    kind = platform or _platform()
    if kind == "systemd":
        units = home / ".config" / "systemd" / "user"
        service = (
            "[Unit]\nDescription=policydiff: fetch what is new for the tracked policies\n\n"
            f"[Service]\nType=oneshot\nExecStart={_systemd_quote(argv)}\n"
            # update exits 1 when something changed: that is news, not a failure
            "SuccessExitStatus=1\n"
        )
        timer = (
            f"[Unit]\nDescription=Run {NAME} {period}\n\n"
            f"[Timer]\nOnCalendar={calendar}\nPersistent=true\nRandomizedDelaySec=15min\n\n"
            "[Install]\nWantedBy=timers.target\n"
        )
        return ScheduleEntry(
            "systemd",
            ((units / f"{NAME}.service", service), (units / f"{NAME}.timer", timer)),
            f"systemctl --user daemon-reload && systemctl --user enable --now {NAME}.timer",
        )
    if kind == "launchd":
        args = "".join(f"    <string>{_xml(a)}</string>\n" for a in argv)
        plist = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            '<plist version="1.0"><dict>\n'
            f"  <key>Label</key><string>org.policydiff.update</string>\n"
            f"  <key>ProgramArguments</key><array>\n{args}  </array>\n"
            f"  <key>StartInterval</key><integer>{seconds}</integer>\n"
            "</dict></plist>\n"
        )
        path = home / "Library" / "LaunchAgents" / "org.policydiff.update.plist"
        return ScheduleEntry("launchd", ((path, plist),), f"launchctl load -w {shlex.quote(str(path))}")
    if kind == "schtasks":
        command = " ".join(_windows_quote(a) for a in argv)
        return ScheduleEntry("schtasks", (), f'schtasks /Create /F /SC {sc} /TN {NAME} /TR "{command}"')
    if kind == "cron":
        # cron turns an unescaped % into a newline
        return ScheduleEntry("cron", (), f"{cron} {shlex.join(argv).replace('%', chr(92) + '%')}")
    raise UsageError(f"unknown scheduler {kind!r}: use systemd, cron, launchd or schtasks")


def install(entry: ScheduleEntry) -> list[Path]:
    """Write the entry's files (a previous entry of ours is replaced); returns what was written."""
    written = []
    for path, content in entry.files:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def default_program() -> list[str]:
    """The installed `policydiff` command, else this Python running the package."""
    found = shutil.which("policydiff")
    return [found] if found else [sys.executable, "-m", "archiver"]


def _platform() -> str:
    if sys.platform == "darwin":
        return "launchd"
    if sys.platform == "win32":
        return "schtasks"
    return "systemd"  # every current Linux desktop; --platform cron prints a crontab line instead


def _systemd_quote(argv: Sequence[str]) -> str:
    # systemd's ExecStart takes C-style double quotes; % starts a specifier and is doubled
    return " ".join('"' + a.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"' for a in argv)


def _windows_quote(arg: str) -> str:
    return f'\\"{arg}\\"' if " " in arg else arg


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

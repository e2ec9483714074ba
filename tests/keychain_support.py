"""A real system keychain for tests: GNOME Keyring's Secret Service on a private D-Bus session.

What the keyring library talks to on a Linux desktop, started for one test with its files in a
temporary folder, so no test touches the user's own keychain. scripts/test installs the two
programs (Debian packages dbus-daemon and gnome-keyring).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring.core


@contextmanager
def secret_service(folder: Path) -> Iterator[dict[str, str]]:
    """Start the bus and an unlocked keychain; yields the environment variables that reach them."""
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} is missing: scripts/test installs it (apt: dbus-daemon gnome-keyring)"
            )
    runtime = folder / "run"
    runtime.mkdir(mode=0o700, parents=True)
    env = {
        **os.environ,
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    daemon = None
    try:
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert daemon.stdin is not None
        daemon.stdin.write(b"test password")  # creates the login keyring, unlocked
        daemon.stdin.close()
        _wait_for_service(env["DBUS_SESSION_BUS_ADDRESS"])
        # this keychain and no other (not one a config file of the user's would name, nor macOS's)
        yield {
            "DBUS_SESSION_BUS_ADDRESS": env["DBUS_SESSION_BUS_ADDRESS"],
            "XDG_RUNTIME_DIR": env["XDG_RUNTIME_DIR"],
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        }
    finally:
        for proc in (daemon, bus):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_for_service(address: str) -> None:
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    dbus = DBusAddress(
        "/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus"
    )
    deadline = time.monotonic() + 10
    with open_dbus_connection(address) as conn:
        while time.monotonic() < deadline:
            reply = conn.send_and_get_reply(
                new_method_call(dbus, "NameHasOwner", "s", ("org.freedesktop.secrets",))
            )
            if reply.body[0]:
                return
            time.sleep(0.05)
    raise RuntimeError("GNOME Keyring did not start its Secret Service within 10 s")


def reset_keyring_backend() -> None:
    """The keyring library picks its backend once; pick again for the environment now set."""
    keyring.core.init_backend()
    name = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    chosen = type(keyring.get_keyring())
    if f"{chosen.__module__}.{chosen.__name__}" != name:
        raise RuntimeError(f"keyring chose {chosen.__module__}.{chosen.__name__}, not {name}")

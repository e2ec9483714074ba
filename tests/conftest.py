"""Shared test set-up. Qt runs offscreen here, not only in CI: no test needs a display."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Loopback servers only: never let a proxy setting send test traffic elsewhere.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
# No system keychain unless a test starts its own (the ``keychain`` fixture): a test must never read
# or change the keys of the user running it.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
for _var in ("IA_ACCESS_KEY", "IA_SECRET_KEY"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (tests/tls_support.py)."""
    from tls_support import make_certificate

    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[HTTPServer]:
    """An HTTPS server on 127.0.0.1 with ``certificate``, serving tls_support.PAGE at /privacy."""
    from tls_support import start_tls_server

    server = start_tls_server(certificate)
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def keychain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A real, empty system keychain (GNOME Keyring's Secret Service on a private D-Bus session) that
    the keyring library uses for this test; yields the environment that reaches it (for subprocesses)."""
    from keychain_support import reset_keyring_backend, secret_service

    with secret_service(tmp_path / "keychain") as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        reset_keyring_backend()
        yield env
        monkeypatch.undo()
        reset_keyring_backend()

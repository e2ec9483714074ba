"""TLS on loopback for the client's and the app's tests (docs/fault-cases.md case 28): a self-signed
certificate for 127.0.0.1, made with the openssl command (scripts/test installs it), and an HTTPS
server that uses it. The fixtures ``certificate`` and ``tls_server`` in tests/conftest.py wrap these.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

PAGE = b"<html><body><h1>Privacy policy</h1><p>We keep your data safe.</p></body></html>"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate (also its own CA) for IP 127.0.0.1 and its key, as PEM files in ``folder``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command is missing (scripts/test installs it)", pytrace=False)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=policydiff test CA", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def start_tls_server(certificate: tuple[Path, Path]) -> HTTPServer:
    """An HTTPS server on 127.0.0.1 serving PAGE at /privacy, with ``certificate``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    server.expect_request("/privacy").respond_with_data(PAGE, content_type="text/html")
    return server

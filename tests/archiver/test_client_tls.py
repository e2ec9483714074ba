"""TLS and proxies on loopback (PROTOCOLS.md §8.3 case 28): a certificate the system does not trust is an error
shown verbatim, never silently accepted; REQUESTS_CA_BUNDLE (a corporate proxy's CA) or a bundle
given to the session makes it work.

The certificate is made for the test with the openssl command (scripts/test installs it).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from archiver.client import ManualClock, Pacer, Session, fetch_live
from archiver.errors import NetworkError

PAGE = b"<html><body><h1>Privacy policy</h1><p>We keep your data safe.</p></body></html>"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command is missing (scripts/test installs it)", pytrace=False)
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=policydiff test CA", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[HTTPServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    server.expect_request("/privacy").respond_with_data(PAGE, content_type="text/html")
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def session(**kwargs: object) -> Session:
    return Session(Pacer(clock=ManualClock()), **kwargs)  # type: ignore[arg-type]


def test_an_untrusted_certificate_is_an_error_shown_verbatim(
    tls_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    url = tls_server.url_for("/privacy")
    assert url.startswith("https://127.0.0.1:")
    with session() as s, pytest.raises(NetworkError) as caught:
        fetch_live(s, url)
    message = str(caught.value)
    assert message.startswith("TLS/certificate error talking to 127.0.0.1")
    assert "CERTIFICATE_VERIFY_FAILED" in message  # the library's words, not a paraphrase
    assert "REQUESTS_CA_BUNDLE" in message  # and what to do about it
    assert tls_server.log == []  # no request got through the failed handshake


def test_requests_ca_bundle_is_honoured(
    tls_server: HTTPServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    with session() as s:
        page = fetch_live(s, tls_server.url_for("/privacy"))
    assert page.status == 200 and page.body == PAGE


def test_a_bundle_given_to_the_session_is_used(
    tls_server: HTTPServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with session(verify=str(certificate[0])) as s:
        page = fetch_live(s, tls_server.url_for("/privacy"))
    assert page.body == PAGE


def test_the_system_proxy_is_honoured(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY (a corporate proxy) carries the request: the loopback server plays the proxy, so
    the page's own host is never resolved or contacted."""
    httpserver.expect_request("/privacy").respond_with_data(PAGE, content_type="text/html")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{httpserver.port}")
    with session() as s:
        page = fetch_live(s, "http://policies.example.invalid/privacy")
    assert page.status == 200 and page.body == PAGE
    (request, _response), *_ = httpserver.log
    assert request.headers["Host"] == "policies.example.invalid"  # asked of the proxy, for that host

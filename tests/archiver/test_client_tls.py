"""TLS and proxies on loopback (docs/fault-cases.md case 28): a certificate the system does not trust is an error
shown verbatim, never silently accepted; REQUESTS_CA_BUNDLE (a corporate proxy's CA) or a bundle
given to the session makes it work.

The certificate is made for the test with the openssl command (scripts/test installs it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from tls_support import PAGE

from archiver.cli import main
from archiver.client import ManualClock, Pacer, Session, fetch_live
from archiver.client import pacer as pacer_module
from archiver.errors import NetworkError


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


def test_the_command_line_trusts_the_bundle_it_is_given(
    tls_server: HTTPServer,
    certificate: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setattr(pacer_module, "_default", Pacer(clock=ManualClock()))
    url = tls_server.url_for("/privacy")
    archive = ["--archive", str(tmp_path / "a")]
    assert main([*archive, "capture", url]) == 1  # the system does not trust the test certificate
    assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err
    assert main([*archive, "--ca-bundle", str(certificate[0]), "capture", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == 200
    # a bundle that is missing or holds no certificate is refused before any request
    requests_before = len(tls_server.log)
    (tmp_path / "empty.pem").write_text("not a certificate\n")
    for bad in (tmp_path / "missing.pem", tmp_path / "empty.pem"):
        assert main([*archive, "--ca-bundle", str(bad), "capture", url]) == 2
        assert f"the certificate bundle {bad} cannot be used" in capsys.readouterr().err
    assert len(tls_server.log) == requests_before

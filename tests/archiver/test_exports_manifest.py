# ruff: noqa: F811  (corpus_archive is a pytest fixture imported from exports_support)
"""sha256 manifests and `verify-export` (no archive needed); RFC 3161 time-stamps from a real
OpenSSL time-stamping authority served on 127.0.0.1, checked offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from exports_support import GITHUB, corpus_archive  # noqa: F401
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from archiver.cli import main as cli_main
from archiver.exports.datasets import export_ota
from archiver.exports.manifest import verify_export
from archiver.exports.timestamping import build_request, parse_reply
from archiver.exports.warc import export_warc
from archiver.storage import Archive


@pytest.fixture(scope="module")
def exports(corpus_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    with Archive.open(corpus_archive) as archive:
        policy = archive.get_policy(GITHUB)
        export_warc(archive, [policy], out / "github.warc.gz")
        export_ota(archive, archive.policies(), out / "ota")
    return out


def _copy(src: Path, dst: Path) -> Path:
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        dst.mkdir()
        for f in src.parent.glob(src.name + "*"):
            shutil.copy2(f, dst / f.name)
        dst = dst / src.name
    return dst


def test_untouched_exports_verify(exports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for target in (exports / "github.warc.gz", exports / "ota", exports / "ota" / "manifest.json"):
        report = verify_export(target)
        assert report.ok and report.checked >= 1 and report.tool.startswith("policydiff")
    assert cli_main(["verify-export", str(exports / "ota")]) == 0
    assert "OK:" in capsys.readouterr().err


def test_a_tampered_file_fails_and_is_named(
    exports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warc = _copy(exports / "github.warc.gz", tmp_path / "w")
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x01
    warc.write_bytes(bytes(data))
    assert cli_main(["verify-export", str(warc)]) == 1
    out = capsys.readouterr()
    assert "BAD github.warc.gz: changed" in out.out and "FAILED" in out.err

    ota = _copy(exports / "ota", tmp_path / "ota")
    victim = sorted(ota.rglob("*.md"))[3]
    victim.write_text(victim.read_text() + "\nOne sentence added after the export.\n")
    (ota / "extra.md").write_text("not exported by us")
    gone = sorted(ota.rglob("*.md"))[0]
    gone.unlink()
    assert cli_main(["verify-export", str(ota), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    problems = "\n".join(result["problems"])
    assert not result["ok"] and len(result["problems"]) == 3
    assert f"{victim.relative_to(ota).as_posix()}: changed" in problems
    assert f"{gone.relative_to(ota).as_posix()}: missing" in problems
    assert "extra.md: not in the manifest" in problems


def test_a_manifest_naming_paths_outside_its_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("x")
    folder = tmp_path / "export"
    folder.mkdir()
    manifest = {
        "format": "policydiff-export-manifest/1",
        "files": [{"path": "../secret.txt", "sha256": "0" * 64, "bytes": 1}],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    report = verify_export(folder)
    assert not report.ok and report.problems == (
        "../secret.txt: the manifest names a path outside its folder",
    )


def test_no_manifest_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "lonely.csv").write_text("a,b\n")
    assert cli_main(["verify-export", str(tmp_path / "lonely.csv")]) == 1
    assert "no manifest found" in capsys.readouterr().err


# --- RFC 3161 -------------------------------------------------------------------------------------

TSA_CONF = """[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.crt
certs = {dir}/tsa.crt
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.2
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@pytest.fixture(scope="module")
def openssl_tsa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA and a time-stamping certificate, and an `openssl ts -reply` configuration."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("tsa")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-subj", "/CN=policydiff test root", "-days", "2")  # fmt: skip
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        "/CN=policydiff test TSA",
    )
    (d / "ext.cnf").write_text("extendedKeyUsage=critical,timeStamping\n")
    run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tsa.crt", "-days", "2", "-extfile", "ext.cnf")  # fmt: skip
    (d / "serial").write_text("01\n")
    (d / "tsa.cnf").write_text(TSA_CONF.format(dir=d))
    return d


def _tsa_reply(openssl_tsa: Path) -> Callable[[Request], Response]:
    def reply(request: Request) -> Response:
        assert request.headers["Content-Type"] == "application/timestamp-query"
        query = openssl_tsa / "query.tsq"
        query.write_bytes(request.get_data())
        done = subprocess.run(
            ["openssl", "ts", "-reply", "-config", str(openssl_tsa / "tsa.cnf"), "-queryfile", str(query),
             "-out", str(openssl_tsa / "reply.tsr")],
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        body = (openssl_tsa / "reply.tsr").read_bytes()
        return Response(body, content_type="application/timestamp-reply")

    return reply


@pytest.fixture
def tsa_url(openssl_tsa: Path) -> Iterator[str]:
    """A time-stamping authority of its own on 127.0.0.1: not the shared test server, on which a
    connection an earlier test left open made this test fail now and then in the full suite."""
    server = HTTPServer(threaded=True)
    server.start()
    server.expect_request("/tsa", method="POST").respond_with_handler(_tsa_reply(openssl_tsa))
    yield server.url_for("/tsa")
    server.clear()
    server.stop()


def test_the_ca_bundle_is_trusted_by_an_https_time_stamp_authority_too(
    corpus_archive: Path, openssl_tsa: Path, certificate: tuple[Path, Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Behind a TLS-inspecting proxy, --ca-bundle holds for the time-stamp request as well; the
    process environment is left as it was."""
    from tls_support import start_tls_server

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    server = start_tls_server(certificate)
    server.expect_request("/tsa", method="POST").respond_with_handler(_tsa_reply(openssl_tsa))
    try:
        args = ["--archive", str(corpus_archive), "export", GITHUB, "--csv", str(tmp_path / "v.csv")]
        args += ["--tsa", server.url_for("/tsa")]
        assert cli_main(args) == 1  # untrusted: written, not time-stamped
        assert cli_main(["--ca-bundle", str(certificate[0]), *args, "--force"]) == 0
        assert (tmp_path / "v.csv.manifest.json.tsr").is_file()
        assert "REQUESTS_CA_BUNDLE" not in os.environ
    finally:
        server.clear()
        server.stop()


def test_request_is_valid_der_openssl_reads(openssl_tsa: Path) -> None:
    query = openssl_tsa / "mine.tsq"
    query.write_bytes(build_request(bytes(range(32)), 987654321))
    text = subprocess.run(
        ["openssl", "ts", "-query", "-in", str(query), "-text"], capture_output=True, text=True
    )
    assert "Hash Algorithm: sha256" in text.stdout and "Certificate required: yes" in text.stdout
    assert "NONCE: 0X3ADE68B1" in text.stdout.upper()  # the nonce


def test_timestamped_export_verifies_offline_and_with_openssl(
    corpus_archive: Path, openssl_tsa: Path, tsa_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ota"
    args = ["--archive", str(corpus_archive), "export", GITHUB, "--ota", str(out), "--tsa", tsa_url]
    assert cli_main(args) == 0
    token = out / "manifest.json.tsr"
    info = parse_reply(token.read_bytes())
    assert info.status == 0 and info.gen_time.endswith("Z")
    # the system's store does not hold the test root: the export says so, and saves the chain it has
    assert "time-stamp valid but untrusted here: signed by 'policydiff test TSA'" in capsys.readouterr().err
    assert "CN=policydiff test TSA" in (out / "manifest.json.tsa-chain.pem").read_text()
    assert cli_main(["verify-export", str(out), "--json", "--tsa-ca", str(openssl_tsa / "ca.crt")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["timestamp"]["gen_time"] == info.gen_time
    assert result["timestamp"]["verdict"] == "trusted" and not result["timestamp"]["problems"]
    assert result["timestamp"]["tsa"] == "policydiff test TSA"
    assert result["timestamp"]["root"].startswith("'CN=policydiff test root' (sha256 ")
    assert cli_main(["verify-export", str(out)]) == 0  # untrusted is no failure; the words say it
    assert "time-stamp: valid but untrusted: signed by 'policydiff test TSA'" in capsys.readouterr().out
    # a third party can check the same files with standard tools
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(out / "manifest.json"), "-in", str(token),
         "-CAfile", str(openssl_tsa / "ca.crt"), "-untrusted", str(openssl_tsa / "tsa.crt")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "Verification: OK" in done.stdout, done.stderr

    # editing the manifest (say, to hide a changed file) breaks the time-stamp
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"description": "', '"description": "edited '))
    report = verify_export(out)
    assert report.timestamp is not None and not report.ok
    assert any("not the sha256 of this manifest" in p for p in report.timestamp.problems)


def test_a_forged_signature_is_detected(corpus_archive: Path, tsa_url: str, tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    assert (
        cli_main(["--archive", str(corpus_archive), "export", GITHUB, "--csv", str(out), "--tsa", tsa_url])
        == 0
    )
    token = out.with_name("v.csv.manifest.json.tsr")
    data = bytearray(token.read_bytes())
    data[-10] ^= 0x40  # inside the signature value, the last field of the reply
    token.write_bytes(bytes(data))
    report = verify_export(out)
    assert report.timestamp is not None and report.timestamp.verdict == "invalid" and not report.ok
    assert report.timestamp.problems == (
        "the signature does not verify with the signer's key (RSA PKCS #1 v1.5)",
    )


def test_an_unreachable_tsa_leaves_the_export_unstamped_with_a_warning(
    corpus_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v.jsonl"
    args = [
        "--archive",
        str(corpus_archive),
        "export",
        GITHUB,
        "--jsonl",
        str(out),
        "--tsa",
        "http://127.0.0.1:9/tsa",
    ]
    assert cli_main(args) == 1
    assert "not time-stamped" in capsys.readouterr().err
    assert verify_export(out).ok and not out.with_name("v.jsonl.manifest.json.tsr").exists()


def test_any_damage_to_a_token_is_a_finding_and_force_never_keeps_a_stale_one(
    corpus_archive: Path, tsa_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "v.csv"
    args = ["--archive", str(corpus_archive), "export", GITHUB, "--csv", str(out)]
    assert cli_main([*args, "--tsa", tsa_url]) == 0
    token = out.with_name("v.csv.manifest.json.tsr")
    good = token.read_bytes()
    verdicts = set()
    for position in range(0, len(good), 7):  # every 7th byte, three ways: never a crash
        for flip in (0x01, 0x80, 0xFF):
            damaged = bytearray(good)
            damaged[position] ^= flip
            token.write_bytes(bytes(damaged))
            report = verify_export(out)
            assert report.timestamp is not None
            verdicts.add(report.timestamp.verdict)
    assert verdicts == {"invalid", "valid but untrusted"}  # a flip in the unsigned parts may be harmless
    token.write_bytes(good)
    # re-exported with --force while the TSA is down: the old token (of the old manifest) goes
    assert cli_main([*args, "--force", "--tsa", "http://127.0.0.1:9/tsa"]) == 1
    assert not token.exists() and not token.with_suffix(".tsa-chain.pem").exists() and verify_export(out).ok

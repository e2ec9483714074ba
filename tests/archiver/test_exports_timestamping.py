# ruff: noqa: F811  (corpus_archive is a pytest fixture imported from exports_support)
"""RFC 3161 verification against forged and damaged tokens made with real keys (tests/tsa_support.py):
each is rejected with its reason, a chain to a root nobody trusts is "valid but untrusted" and names
that root, and good tokens (RSA PKCS #1 v1.5, RSA-PSS, ECDSA) are "trusted" given their root."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import tsa_support as forge
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from exports_support import GITHUB, corpus_archive  # noqa: F401
from pytest_httpserver import HTTPServer

from archiver.cli import main as cli_main
from archiver.exports.manifest import Manifest, write_manifest
from archiver.exports.timestamping import INVALID, TRUSTED, UNTRUSTED, TokenVerdict, verify_token
from archiver.exports.tsa_trust import Trust, chain_pem

DATA = b'{"format": "policydiff-export-manifest/1", "files": []}\n'


@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    root_key: forge.Key
    tsa: x509.Certificate
    tsa_key: forge.Key

    @property
    def trust(self) -> Trust:
        return Trust((self.root,), "the test root")


@pytest.fixture(scope="module")
def pki() -> Pki:
    root, root_key = forge.make_root()
    tsa, tsa_key = forge.make_tsa(root, root_key)
    return Pki(root, root_key, tsa, tsa_key)


def _check(
    reply: bytes, pki: Pki, trust: Trust | None = None, extra_certs: Sequence[x509.Certificate] = ()
) -> TokenVerdict:
    return verify_token(reply, DATA, trust or pki.trust, extra_certs)


@pytest.mark.parametrize("kind", ["pkcs1v15", "pss", "ecdsa"])
def test_good_tokens_of_each_signature_scheme_are_trusted_given_their_root(kind: str) -> None:
    root, root_key = forge.make_root()
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ecdsa" else forge.rsa_key()
    tsa, _ = forge.make_tsa(root, root_key, key)
    result = verify_token(forge.make_reply(DATA, tsa, forge.scheme(kind, key)), DATA, Trust((root,), "test"))
    assert result.verdict == TRUSTED, result.problems
    assert result.tsa == "Test TSA" and "CN=Test TSA Root" in result.root
    assert root.fingerprint(hashes.SHA256()).hex() in result.root
    assert result.info is not None and result.info.gen_time == "2026-06-01T12:00:00Z"


def test_pkcs1_signature_with_garbage_after_the_digest_info_is_rejected(pki: Pki) -> None:
    """The shape the old hand-written verifier accepted: a real private-key signature whose padding
    ends early and whose DigestInfo is followed by 40 garbage bytes."""
    assert isinstance(pki.tsa_key, rsa.RSAPrivateKey)
    sign = forge.raw_rsa_sign_with_trailing_bytes(pki.tsa_key, b"\x5a" * 40)
    reply = forge.make_reply(DATA, pki.tsa, forge.Scheme({"algorithm": "sha256_rsa"}, sign))
    result = _check(reply, pki)
    assert result.verdict == INVALID
    assert result.problems == ("the signature does not verify with the signer's key (RSA PKCS #1 v1.5)",)


def test_small_exponent_cube_root_forgery_is_rejected(pki: Pki) -> None:
    """Bleichenbacher 2006: with e=3 and a verifier that ignores bytes after the DigestInfo, a cube
    root forges a signature without the private key."""
    key = forge.rsa_key(exponent=3)
    tsa, _ = forge.make_tsa(pki.root, pki.root_key, key)
    n = key.public_key().public_numbers().n
    sign = forge.cube_root_forgery(key.key_size // 8)
    reply = forge.make_reply(DATA, tsa, forge.Scheme({"algorithm": "sha256_rsa"}, sign))
    # the forgery is real: cubed, it starts with valid padding and the right DigestInfo ...
    result = _check(reply, pki)
    assert result.info is not None
    signed = result.info.signed_data["signer_infos"][0]
    cubed = pow(int.from_bytes(signed["signature"].native, "big"), 3, n).to_bytes(key.key_size // 8, "big")
    digest = hashlib.sha256(signed["signed_attrs"].untag().dump()).digest()
    assert cubed.startswith(b"\x00\x01" + b"\xff" * 8 + b"\x00" + forge.SHA256_DIGEST_INFO + digest)
    # ... and is refused
    assert result.verdict == INVALID
    assert result.problems == ("the signature does not verify with the signer's key (RSA PKCS #1 v1.5)",)


def test_wrong_message_imprint_is_rejected(pki: Pki) -> None:
    reply = forge.make_reply(
        DATA,
        pki.tsa,
        forge.scheme("pkcs1v15", pki.tsa_key),
        imprint=hashlib.sha256(b"another manifest").digest(),
    )
    result = _check(reply, pki)
    assert result.verdict == INVALID
    assert result.problems == (
        "its message imprint is not the sha256 of this manifest (the manifest changed)",
    )


def test_a_certificate_swapped_for_another_key_is_rejected(pki: Pki) -> None:
    """Same issuer, same serial number, same name, another key: the signer lookup finds it, but the
    signed ESS attribute names the real one and the signature does not verify with its key."""
    real = pki.tsa
    swapped, _ = forge.make_tsa(pki.root, pki.root_key, serial=real.serial_number)
    reply = forge.make_reply(DATA, real, forge.scheme("pkcs1v15", pki.tsa_key), certificates=[swapped])
    result = _check(reply, pki)
    assert result.verdict == INVALID
    assert result.problems == (
        "the certificate in the token is not the one the TSA signed with (ESS certificate hash differs)",
        "the signature does not verify with the signer's key (RSA PKCS #1 v1.5)",
    )


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "word"),
    [
        (forge.NOW - timedelta(days=30), forge.NOW - timedelta(days=1), "expired"),
        (forge.NOW + timedelta(days=1), forge.NOW + timedelta(days=30), "not yet valid"),
    ],
    ids=["expired", "not-yet-valid"],
)
def test_a_signer_not_valid_at_the_time_stamps_time_is_rejected(
    pki: Pki, valid_from: datetime, valid_to: datetime, word: str
) -> None:
    key = forge.rsa_key()
    tsa, _ = forge.make_tsa(pki.root, pki.root_key, key, valid_from=valid_from, valid_to=valid_to)
    result = _check(forge.make_reply(DATA, tsa, forge.scheme("pkcs1v15", key)), pki)
    assert result.verdict == INVALID
    assert len(result.problems) == 1
    assert result.problems[0].startswith(
        f"the signer's certificate was {word} at the time-stamp's time 2026-06-01T12:00:00Z"
    )


def test_a_chain_to_an_untrusted_root_is_valid_but_untrusted_and_names_the_root(
    pki: Pki,
) -> None:
    """A self-made TSA that copies the real root's name: signature and imprint are good, but its
    root is another certificate, so it is never trusted; the message names the root it needs."""
    fake_root, fake_key = forge.make_root(cn="Test TSA Root")  # the real root's name, another key
    tsa, key = forge.make_tsa(fake_root, fake_key)
    reply = forge.make_reply(DATA, tsa, forge.scheme("pkcs1v15", key), certificates=[tsa, fake_root])
    result = _check(reply, pki)
    assert result.verdict == UNTRUSTED
    assert result.root == f"'CN=Test TSA Root' (sha256 {fake_root.fingerprint(hashes.SHA256()).hex()})"
    # the trusted root of the same name did not sign it
    assert result.problems == (
        "its chain to the test root does not verify (candidates exhausted: signature does not match)",
    )
    other, _ = forge.make_root(cn="Another Root")
    assert _check(reply, pki, trust=Trust((other,), "the roots in x.pem")).problems == (
        "its chain ends at no root among the roots in x.pem",
    )
    # the same token is trusted by whoever trusts that root
    assert _check(reply, pki, trust=Trust((fake_root,), "x")).verdict == TRUSTED


def test_the_chain_saved_beside_the_token_supplies_intermediates_but_never_trust(
    pki: Pki,
) -> None:
    intermediate, inter_key = forge.make_intermediate(pki.root, pki.root_key)
    tsa, key = forge.make_tsa(intermediate, inter_key)
    reply = forge.make_reply(DATA, tsa, forge.scheme("pkcs1v15", key))  # the token holds the signer alone
    alone = _check(reply, pki)
    assert alone.verdict == UNTRUSTED
    assert alone.root == (
        "'CN=Test TSA Intermediate' (an issuer whose certificate is neither in the token nor beside it)"
    )
    beside = _check(reply, pki, extra_certs=[intermediate, pki.root])
    assert beside.verdict == TRUSTED and [c.subject.rfc4514_string() for c in beside.chain] == [
        "CN=Test TSA",
        "CN=Test TSA Intermediate",
        "CN=Test TSA Root",
    ]
    assert (
        _check(reply, pki, extra_certs=[intermediate, pki.root], trust=Trust((), "no file")).verdict
        == UNTRUSTED
    )


def test_a_certificate_that_is_not_a_time_stamping_one_is_rejected(pki: Pki) -> None:
    root, root_key = pki.root, pki.root_key
    reply = forge.make_reply(DATA, root, forge.scheme("pkcs1v15", root_key))
    result = _check(reply, pki)
    assert result.verdict == INVALID and result.problems[0].startswith(
        "the signer's certificate is not a time-stamping certificate"
    )


def test_bytes_after_the_reply_make_it_unreadable(pki: Pki) -> None:
    reply = forge.make_reply(DATA, pki.tsa, forge.scheme("pkcs1v15", pki.tsa_key))
    assert _check(reply, pki).verdict == TRUSTED
    result = _check(reply + b"\x00" * 8, pki)
    assert result.verdict == INVALID and result.problems[0].startswith("unreadable time-stamp reply")


def test_verify_export_prints_exactly_one_verdict_word_and_exits_1_only_when_invalid(
    pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export"
    export.mkdir()
    manifest = Manifest("test export", created="2026-06-01T12:00:00Z")
    raw = write_manifest(manifest, export / "manifest.json", force=False)
    (export / "manifest.json.tsr").write_bytes(
        forge.make_reply(raw, pki.tsa, forge.scheme("pkcs1v15", pki.tsa_key))
    )
    (export / "manifest.json.tsa-chain.pem").write_bytes(chain_pem([pki.tsa, pki.root]))
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(chain_pem([pki.root]))

    def verdict(*extra: str) -> tuple[int, str]:
        code = cli_main(["verify-export", str(export), *extra])
        lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("time-stamp:")]
        assert len(lines) == 1
        return code, lines[0]

    code, line = verdict("--tsa-ca", str(root_pem))
    assert code == 0 and line.startswith("time-stamp: trusted: manifest existed at 2026-06-01T12:00:00Z")
    code, line = verdict()  # the system's store does not hold the test root; the chain file is no root
    assert code == 0 and line.startswith("time-stamp: valid but untrusted: signed by 'Test TSA'")
    assert "CN=Test TSA Root" in line and "--tsa-ca" in line and " trusted" not in line
    (export / "manifest.json").write_bytes(raw.replace(b"test export", b"test expory"))
    code, line = verdict("--tsa-ca", str(root_pem))
    assert code == 1 and line.startswith("time-stamp: invalid")
    assert "trusted" not in line
    capsys.readouterr()
    cli_main(["verify-export", str(export), "--json", "--tsa-ca", str(root_pem)])
    assert json.loads(capsys.readouterr().out)["timestamp"]["verdict"] == "invalid"


def test_a_tsa_ca_file_without_certificates_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "roots.pem"
    bad.write_text("not a certificate\n")
    (tmp_path / "x.csv").write_text("a\n")
    assert cli_main(["verify-export", str(tmp_path / "x.csv"), "--tsa-ca", str(bad)]) == 2
    assert "no certificate in it" in capsys.readouterr().err


def test_an_export_whose_tsa_sends_a_forged_token_is_not_time_stamped(
    pki: Pki, corpus_archive: Path, httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A TSA (or a man in the middle) answering with the right nonce and imprint but a signature
    with garbage after the DigestInfo: the export is written, the token is not kept, exit 1."""
    from werkzeug.wrappers import Request, Response

    assert isinstance(pki.tsa_key, rsa.RSAPrivateKey)
    sign = forge.raw_rsa_sign_with_trailing_bytes(pki.tsa_key, b"\x00" * 40)

    def forged(request: Request) -> Response:
        query = tsp.TimeStampReq.load(request.get_data())
        reply = forge.make_reply(
            b"",
            pki.tsa,
            forge.Scheme({"algorithm": "sha256_rsa"}, sign),
            imprint=query["message_imprint"]["hashed_message"].native,
            nonce=query["nonce"].native,
        )
        return Response(reply, content_type="application/timestamp-reply")

    httpserver.expect_request("/tsa", method="POST").respond_with_handler(forged)
    out = tmp_path / "v.csv"
    args = [
        "--archive",
        str(corpus_archive),
        "export",
        GITHUB,
        "--csv",
        str(out),
        "--tsa",
        httpserver.url_for("/tsa"),
    ]
    assert cli_main(args) == 1
    err = capsys.readouterr().err
    assert "not time-stamped" in err and "sent an invalid token: the signature does not verify" in err
    assert out.is_file() and not out.with_name("v.csv.manifest.json.tsr").exists()
    assert not out.with_name("v.csv.manifest.json.tsa-chain.pem").exists()

"""Real RFC 3161 replies made in the test, signed with real keys (cryptography), encoded by asn1crypto:
good ones from a test PKI (RSA PKCS #1 v1.5, RSA-PSS, ECDSA) and forged or damaged ones. Nothing
here touches the verifier; the verifier sees bytes a real TSA or a real forger could send."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
# RFC 8017, 9.2 note 1: the DER DigestInfo prefix of a SHA-256 digest
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key(exponent: int = 65537) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(exponent, 2048)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_root(cn: str = "Test TSA Root", key: Key | None = None) -> tuple[x509.Certificate, Key]:
    key = key or rsa_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=3650))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_intermediate(
    root: x509.Certificate, root_key: Key, cn: str = "Test TSA Intermediate"
) -> tuple[x509.Certificate, Key]:
    key = rsa_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1000))
        .not_valid_after(NOW + timedelta(days=1000))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    return cert, key


def make_tsa(
    issuer: x509.Certificate,
    issuer_key: Key,
    key: Key | None = None,
    *,
    cn: str = "Test TSA",
    serial: int | None = None,
    valid_from: datetime = NOW - timedelta(days=365),
    valid_to: datetime = NOW + timedelta(days=365),
) -> tuple[x509.Certificate, Key]:
    key = key or rsa_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return cert, key


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def sign_pkcs1v15(key: Key) -> Callable[[bytes], bytes]:
    assert isinstance(key, rsa.RSAPrivateKey)
    return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())


@dataclass(frozen=True)
class Scheme:
    algorithm: dict[str, object]
    sign: Callable[[bytes], bytes]


def scheme(kind: str, key: Key) -> Scheme:
    if kind == "pkcs1v15":
        return Scheme({"algorithm": "sha256_rsa"}, sign_pkcs1v15(key))
    if kind == "pss":
        assert isinstance(key, rsa.RSAPrivateKey)
        params = {
            "hash_algorithm": {"algorithm": "sha256"},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
            "salt_length": 32,
            "trailer_field": "trailer_field_bc",
        }
        pss = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
        return Scheme(
            {"algorithm": "rsassa_pss", "parameters": params}, lambda d: key.sign(d, pss, hashes.SHA256())
        )
    assert kind == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey)
    return Scheme({"algorithm": "sha256_ecdsa"}, lambda d: key.sign(d, ec.ECDSA(hashes.SHA256())))


def make_reply(
    data: bytes,
    signer: x509.Certificate,
    sign: Scheme,
    *,
    certificates: Sequence[x509.Certificate] | None = None,
    gen_time: datetime = NOW,
    imprint: bytes | None = None,
    nonce: int = 7,
) -> bytes:
    """A granted TimeStampResp over sha256(``data``) (or ``imprint``), signed by ``sign`` on behalf
    of ``signer``; ``certificates`` (default: the signer's) go into the token."""
    tst = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.3.4.1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": imprint if imprint is not None else hashlib.sha256(data).digest(),
            },
            "serial_number": 42,
            "gen_time": gen_time,
            "nonce": nonce,
        }
    ).dump()
    ess = tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(_der(signer)).digest(),
                }
            ]
        }
    )
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": gen_time})]},
            {"type": "message_digest", "values": [hashlib.sha256(tst).digest()]},
            {"type": "signing_certificate_v2", "values": [ess]},
        ]
    )
    signature = sign.sign(attrs.dump())
    parsed = ax509.Certificate.load(_der(signer))
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst)},
            "certificates": [
                ax509.Certificate.load(_der(c))
                for c in (certificates if certificates is not None else [signer])
            ],
            "signer_infos": [
                {
                    "version": "v1",
                    "sid": {
                        "issuer_and_serial_number": {
                            "issuer": parsed.issuer,
                            "serial_number": parsed.serial_number,
                        }
                    },
                    "digest_algorithm": {"algorithm": "sha256"},
                    "signed_attrs": attrs,
                    "signature_algorithm": sign.algorithm,
                    "signature": signature,
                }
            ],
        }
    )
    return bytes(
        tsp.TimeStampResp(
            {
                "status": {"status": "granted"},
                "time_stamp_token": {"content_type": "signed_data", "content": signed_data},
            }
        ).dump()
    )


def raw_rsa_sign_with_trailing_bytes(key: rsa.RSAPrivateKey, garbage: bytes) -> Callable[[bytes], bytes]:
    """A signature made with the real private key over a malformed encoding: PKCS #1 v1.5 padding,
    the SHA-256 DigestInfo, then ``garbage`` (the padding shortened to make room)."""

    def sign(data: bytes) -> bytes:
        numbers = key.private_numbers()
        size = key.key_size // 8
        digest_info = SHA256_DIGEST_INFO + hashlib.sha256(data).digest()
        fill = size - 3 - len(digest_info) - len(garbage)
        em = b"\x00\x01" + b"\xff" * fill + b"\x00" + digest_info + garbage
        return pow(int.from_bytes(em, "big"), numbers.d, numbers.public_numbers.n).to_bytes(size, "big")

    return sign


def cube_root_forgery(modulus_bytes: int) -> Callable[[bytes], bytes]:
    """Bleichenbacher's 2006 forgery against e=3 keys, made without the private key: the integer
    cube root of ``00 01 FF*8 00 DigestInfo`` followed by free low bits. Its cube starts with a
    correct-looking padding and DigestInfo; only the bytes after it are garbage."""

    def sign(data: bytes) -> bytes:
        prefix = b"\x00\x01" + b"\xff" * 8 + b"\x00" + SHA256_DIGEST_INFO + hashlib.sha256(data).digest()
        free_bits = 8 * (modulus_bytes - len(prefix))
        target = int.from_bytes(prefix, "big") << free_bits
        root = integer_cube_root(target)
        if root**3 < target:
            root += 1
        return root.to_bytes(modulus_bytes, "big")

    return sign


def integer_cube_root(n: int) -> int:
    x = 1 << ((n.bit_length() + 2) // 3)
    while True:
        y = (2 * x + n // (x * x)) // 3
        if y >= x:
            return x
        x = y

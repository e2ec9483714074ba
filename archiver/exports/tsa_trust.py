"""Which roots a time-stamp may chain to, and the chain check itself (cryptography's X.509 path
validation at the time-stamp's time).

Roots come from the user (``--tsa-ca FILE``, PEM) or else the system's store. The TSA's chain saved
beside a token (``manifest.json.tsa-chain.pem``) only supplies intermediates and names the root a
token needs: a certificate is never trusted for being inside an export, or a self-made TSA that
copies a real one's name would pass (see docs/timestamps.md).
"""

from __future__ import annotations

import re
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from ..errors import UsageError

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
# where Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine and the BSDs keep their bundle, when Python's
# OpenSSL names none that exists (macOS and Windows keep roots in a keychain: certifi's copy then)
_SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
)


@dataclass(frozen=True, slots=True)
class Trust:
    """The roots a time-stamp's chain may end at, and where they came from (said in messages)."""

    roots: tuple[x509.Certificate, ...]
    source: str


@dataclass(frozen=True, slots=True)
class ChainResult:
    trusted: bool
    root: str  # the root verified to, or the one that would be needed
    reason: str  # why it is not trusted ("" when it is)
    path: tuple[x509.Certificate, ...]  # the signer first, then issuers as far as known


def load_trust(path: Path | None) -> Trust:
    """The roots in ``path`` (``--tsa-ca``: PEM certificates, or one DER certificate), or the
    system's store when no file is given. A file without a certificate is a usage error."""
    if path is None:
        return system_trust()
    try:
        data = path.expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"--tsa-ca {path}: cannot be read ({exc.strerror or exc})") from None
    roots = certificates_in(data)
    if not roots:
        try:
            roots = [x509.load_der_x509_certificate(data)]
        except ValueError:
            raise UsageError(
                f"--tsa-ca {path}: no certificate in it; give the root certificate(s) you trust as PEM"
            ) from None
    return Trust(tuple(roots), f"the roots in {path}")


@cache
def system_trust() -> Trust:
    paths = ssl.get_default_verify_paths()
    for name in (paths.cafile, paths.openssl_cafile, *_SYSTEM_BUNDLES):
        if name and Path(name).is_file():
            roots = certificates_in(Path(name).read_bytes())
            if roots:
                return Trust(tuple(roots), f"the system's store ({name})")
    import certifi

    return Trust(
        tuple(certificates_in(Path(certifi.where()).read_bytes())), "certifi's copy of Mozilla's roots"
    )


def certificates_in(pem: bytes) -> list[x509.Certificate]:
    """Every PEM certificate cryptography can read (one it cannot is skipped, not fatal)."""
    out = []
    with warnings.catch_warnings():  # system bundles hold a few old roots with odd serial numbers
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in _PEM.findall(pem):
            try:
                out.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
    return out


def read_chain(path: Path) -> list[x509.Certificate]:
    try:
        return certificates_in(path.read_bytes())
    except FileNotFoundError:
        return []


def chain_pem(chain: Sequence[x509.Certificate]) -> bytes:
    """The chain as PEM, each certificate preceded by its subject (as ``openssl`` writes them)."""
    parts = []
    for cert in chain:
        parts.append(f"subject={cert.subject.rfc4514_string()}\n".encode())
        parts.append(cert.public_bytes(Encoding.PEM))
    return b"".join(parts)


def check_chain(
    signer: x509.Certificate, others: Sequence[x509.Certificate], trust: Trust, moment: datetime
) -> ChainResult:
    """Does ``signer`` chain, through ``others``, to a root of ``trust``, every certificate valid
    at ``moment`` (the time-stamp's time)?"""
    path = _issuers(signer, others)
    if trust.roots:
        verifier = (
            PolicyBuilder()
            .store(Store(list(trust.roots)))
            .time(moment)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_TSA_POLICY)
            .build_client_verifier()
        )
        # a self-signed certificate is a root or nothing: trusted only when it is in the store
        intermediates = [c for c in others if c.issuer != c.subject]
        try:
            verified = verifier.verify(signer, intermediates)
        except VerificationError as exc:
            detail = str(exc).removeprefix("validation failed: ")
            if "no interior errors" in detail:  # no path at all, as opposed to a broken one
                reason = f"its chain ends at no root among {trust.source}"
            else:
                reason = f"its chain to {trust.source} does not verify ({detail})"
        else:
            return ChainResult(True, describe(verified.chain[-1]), "", tuple(verified.chain))
    else:
        reason = f"there are no roots in {trust.source}"
    top = path[-1]
    if top.issuer == top.subject and _issued_by(top, top):
        needed = describe(top)
    else:
        needed = f"'{top.issuer.rfc4514_string()}' (an issuer whose certificate is neither in the token nor beside it)"
    return ChainResult(False, needed, reason, path)


def describe(cert: x509.Certificate) -> str:
    return f"'{cert.subject.rfc4514_string()}' (sha256 {cert.fingerprint(hashes.SHA256()).hex()})"


def _issuers(cert: x509.Certificate, pool: Sequence[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    """``cert`` and the issuers found for it in ``pool`` (each checked by its signature), up to a
    self-signed one; used to name the root a chain would need."""
    path = [cert]
    while len(path) < 10 and path[-1].issuer != path[-1].subject:
        issuer = next((c for c in pool if c not in path and _issued_by(path[-1], c)), None)
        if issuer is None:
            break
        path.append(issuer)
    return tuple(path)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):  # not its issuer
        return False
    return True


def _eku_is_time_stamping(
    _policy: object, _cert: x509.Certificate, eku: x509.ExtendedKeyUsage | None
) -> None:
    if eku is None or list(eku) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise ValueError("the extended key usage must be timeStamping alone (RFC 3161, 2.3)")


def _ca_key_usage(_policy: object, _cert: x509.Certificate, usage: x509.KeyUsage | None) -> None:
    if usage is not None and not usage.key_cert_sign:
        raise ValueError("a CA certificate's key usage must allow signing certificates")


# the Web PKI's rules for CA certificates (basic constraints, name constraints, key sizes, signature
# algorithms), except that a CA without a key usage extension is accepted as OpenSSL does (roots
# made with 'openssl req -x509' have none); the TSA's own certificate must carry a critical
# extended key usage of timeStamping alone
_CA_POLICY = ExtensionPolicy.webpki_defaults_ca().may_be_present(
    x509.KeyUsage, Criticality.AGNOSTIC, _ca_key_usage
)
_TSA_POLICY = ExtensionPolicy.permit_all().require_present(
    x509.ExtendedKeyUsage, Criticality.CRITICAL, _eku_is_time_stamping
)

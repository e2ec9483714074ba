"""RFC 3161 time-stamps over an export manifest: request one from a TSA the user chose, and check a
stored reply offline. ASN.1 is read and written by asn1crypto, certificates, signatures and chains are
checked by cryptography (OpenSSL); nothing here parses DER or pads RSA by hand.

:func:`verify_token` gives one of three verdicts (see docs/timestamps.md):

* ``invalid``: the reply is unreadable or not granted, its message imprint is not the manifest's
  sha256, the signed attributes do not cover this TSTInfo, the signature does not verify (RSA
  PKCS #1 v1.5 or PSS, ECDSA) with the signer's certificate, that certificate is not the one the
  signed ESS signing-certificate attribute names, is not a time-stamping certificate, or was not
  valid at the time-stamp's time;
* ``valid but untrusted``: all of the above holds, but the signer's certificate does not chain to a
  root trusted here (``--tsa-ca FILE``, else the system's store); the root it would need is named;
* ``trusted``: valid, and the chain verifies to a named root trusted here at the time-stamp's time.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..errors import ArchiverError, NetworkError
from .tsa_trust import Trust, check_chain

if TYPE_CHECKING:
    from .manifest import TimestampCheck

TRUSTED = "trusted"
UNTRUSTED = "valid but untrusted"
INVALID = "invalid"

STATUS_TEXT = {
    0: "granted",
    1: "granted with modifications",
    2: "rejection",
    3: "waiting",
    4: "revocation warning",
    5: "revocation notification",
}
# hashes strong enough to carry a signature; SHA-1 and MD5 are refused (collisions are practical)
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha3_256": hashes.SHA3_256,
    "sha3_384": hashes.SHA3_384,
    "sha3_512": hashes.SHA3_512,
}


class TimestampError(ArchiverError):
    """A time-stamp reply is unreadable or refused."""


# --- request ---------------------------------------------------------------------------------------


def build_request(sha256_digest: bytes, nonce: int) -> bytes:
    """A DER TimeStampReq: v1, SHA-256 message imprint, nonce, certReq TRUE."""
    from asn1crypto import tsp

    return bytes(
        tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": sha256_digest,
                },
                "nonce": nonce,
                "cert_req": True,
            }
        ).dump()
    )


def request_token(tsa_url: str, sha256_digest: bytes, timeout: float = 30.0) -> bytes:
    """Ask ``tsa_url`` for a time-stamp over ``sha256_digest``; returns the DER TimeStampResp."""
    import requests

    nonce = secrets.randbits(63)
    try:
        resp = requests.post(
            tsa_url,
            data=build_request(sha256_digest, nonce),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise NetworkError(f"time-stamping authority {tsa_url} unreachable: {exc}", tsa_url) from None
    if resp.status_code != 200:
        raise NetworkError(f"time-stamping authority {tsa_url} answered HTTP {resp.status_code}", tsa_url)
    info = parse_reply(resp.content)
    if info.status not in (0, 1):
        raise TimestampError(f"{tsa_url} refused the time-stamp: {STATUS_TEXT.get(info.status, info.status)}")
    if info.nonce != nonce:
        raise TimestampError(f"{tsa_url} answered with another nonce (a replayed or foreign reply)")
    if info.hashed_message != sha256_digest:
        raise TimestampError(f"{tsa_url} time-stamped another hash than the one sent")
    return bytes(resp.content)


# --- reply -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenInfo:
    status: int
    gen_time: str = ""  # ISO 8601 UTC
    hash_algorithm: str = ""  # asn1crypto's name, e.g. "sha256"
    hashed_message: bytes = b""
    serial: int = 0
    nonce: int | None = None
    policy: str = ""
    signed_data: Any = None  # asn1crypto cms.SignedData
    tst_info: bytes = b""  # the DER TSTInfo (the signed content)
    generated: datetime | None = None


def parse_reply(data: bytes) -> TokenInfo:
    """Read a DER TimeStampResp (what TSAs send and ``openssl ts -reply`` writes); bytes after it,
    or anything that is not the structure RFC 3161 gives, make it unreadable."""
    from asn1crypto import core, tsp

    try:
        outer = core.Sequence.load(bytes(data), strict=True)
        status = _status_code(str(tsp.PKIStatusInfo.load(outer[0].dump())["status"].native))
        if len(outer) < 2:  # no token: a refusal (asn1crypto's TimeStampResp wants one)
            return TokenInfo(status=status)
        token = tsp.TimeStampResp.load(bytes(data), strict=True)["time_stamp_token"]
        if token["content_type"].native != "signed_data":
            raise TimestampError("the token is not CMS SignedData")
        signed = token["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("the token does not carry a TSTInfo")
        tst_der = bytes(encap["content"].contents)
        tst = tsp.TSTInfo.load(tst_der, strict=True)
        imprint = tst["message_imprint"]
        generated = tst["gen_time"].native
        return TokenInfo(
            status=status,
            gen_time=_iso(generated),
            hash_algorithm=str(imprint["hash_algorithm"]["algorithm"].native),
            hashed_message=bytes(imprint["hashed_message"].native),
            serial=int(tst["serial_number"].native),
            nonce=tst["nonce"].native,
            policy=str(tst["policy"].native),
            signed_data=signed,
            tst_info=tst_der,
            generated=generated,
        )
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise TimestampError(f"unreadable time-stamp reply ({exc})") from None


def _status_code(name: str) -> int:
    """asn1crypto names the PKIStatus values; the reply's number is what we report."""
    names = (
        "granted",
        "granted_with_mods",
        "rejection",
        "waiting",
        "revocation_warning",
        "revocation_notification",
    )
    return names.index(name) if name in names else -1


def _iso(moment: datetime) -> str:
    """``2026-11-25T06:30:00Z``, or with the fraction the TSA gave (``…:00.5Z``)."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


# --- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenVerdict:
    """What a stored reply proves about the bytes it should cover."""

    verdict: str  # TRUSTED, UNTRUSTED or INVALID
    info: TokenInfo | None
    tsa: str = ""  # the signer's common name (or whole subject)
    root: str = ""  # trusted: the root verified to; untrusted: the root that would be needed
    problems: tuple[str, ...] = ()  # why it is invalid, or (untrusted) why the chain failed
    notes: tuple[str, ...] = ()
    chain: tuple[x509.Certificate, ...] = ()  # the signer first, then its issuers as far as known


def verify_token(
    reply: bytes, data: bytes, trust: Trust, extra_certs: Sequence[x509.Certificate] = ()
) -> TokenVerdict:
    """Check a stored reply against the bytes it should cover. ``extra_certs``: the TSA's chain
    saved beside the token (intermediates; never trusted for being there)."""
    try:
        info = parse_reply(reply)
    except TimestampError as exc:
        return TokenVerdict(INVALID, None, problems=(str(exc),))
    if info.status not in (0, 1):
        status = STATUS_TEXT.get(info.status, str(info.status))
        return TokenVerdict(INVALID, info, problems=(f"the authority did not grant it ({status})",))
    if info.signed_data is None or info.generated is None:
        return TokenVerdict(INVALID, info, problems=("the reply holds no time-stamp token",))
    problems: list[str] = []
    if info.hash_algorithm != "sha256":
        problems.append(f"its message imprint uses {info.hash_algorithm}, not SHA-256")
    elif info.hashed_message != hashlib.sha256(data).digest():
        problems.append("its message imprint is not the sha256 of this manifest (the manifest changed)")
    signer_infos = info.signed_data["signer_infos"]
    if len(signer_infos) != 1:
        return TokenVerdict(INVALID, info, problems=(*problems, "the token must have exactly one signer"))
    signer_info = signer_infos[0]
    # RFC 5652, 5.4: the signature covers the attributes as received, with a SET OF tag in place of
    # their [0] IMPLICIT one (taken before anything reads them, so asn1crypto never re-encodes them)
    signed = b"\x31" + bytes(signer_info["signed_attrs"].dump())[1:]
    certs = _certificates(info.signed_data, extra_certs)
    signer = _find_signer(signer_info["sid"], certs)
    if signer is None:
        problems.append("the signer's certificate is neither in the token nor in the chain saved beside it")
        return TokenVerdict(INVALID, info, problems=tuple(problems))
    tsa = _name(signer.subject)
    problems.extend(_check_signed_attributes(signer_info, info.tst_info, signer))
    problems.extend(_check_signature(signer_info, signed, signer))
    problems.extend(_check_signer(signer, info.generated))
    if problems:
        return TokenVerdict(INVALID, info, tsa, problems=tuple(problems))
    others = [c for c in certs if c != signer]
    chain = check_chain(signer, others, trust, info.generated)
    notes = (f"signed by '{tsa}' (certificate sha256 {_fingerprint(signer)})",)
    if chain.trusted:
        return TokenVerdict(TRUSTED, info, tsa, chain.root, notes=notes, chain=chain.path)
    return TokenVerdict(UNTRUSTED, info, tsa, chain.root, (chain.reason,), notes, chain.path)


def _certificates(signed: Any, extra: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    out: list[x509.Certificate] = []
    for choice in signed["certificates"] or ():
        if choice.name == "certificate":
            try:
                cert = x509.load_der_x509_certificate(choice.chosen.dump())
            except ValueError:
                continue  # a certificate cryptography cannot read cannot be the signer's either
            if cert not in out:
                out.append(cert)
    out.extend(c for c in extra if c not in out)
    return out


def _find_signer(sid: Any, certs: Sequence[x509.Certificate]) -> x509.Certificate | None:
    from asn1crypto import x509 as ax509

    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            parsed = ax509.Certificate.load(cert.public_bytes(Encoding.DER))
            wanted = sid.chosen
            if parsed.serial_number == wanted["serial_number"].native and parsed.issuer == wanted["issuer"]:
                return cert
        else:  # subject_key_identifier
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == sid.chosen.native:
                return cert
    return None


def _check_signed_attributes(signer_info: Any, tst_der: bytes, signer: x509.Certificate) -> list[str]:
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return ["the token has no signed attributes (RFC 3161 requires them)"]
    digest_name = str(signer_info["digest_algorithm"]["algorithm"].native)
    if digest_name not in HASHES:
        return [f"the signer's digest algorithm {digest_name} is not accepted (too weak or unknown)"]
    found = {str(a["type"].native): a["values"] for a in attrs}
    problems = []
    content_type = found.get("content_type")
    if content_type is None or content_type[0].native != "tst_info":
        problems.append("the signed content type is not a TSTInfo")
    wanted = _digest(digest_name, tst_der)
    digest = found.get("message_digest")
    if digest is None or bytes(digest[0].native) != wanted:
        problems.append("the signed message digest does not match the time-stamp content")
    problems.extend(_check_ess(found, signer))
    return problems


def _check_ess(found: dict[str, Any], signer: x509.Certificate) -> list[str]:
    """The ESS signing-certificate attribute (v1 or v2) must name the signer's certificate, so a
    certificate swapped in for another key is caught even before the signature."""
    der = signer.public_bytes(Encoding.DER)
    if "signing_certificate_v2" in found:
        first = found["signing_certificate_v2"][0]["certs"][0]
        name = str(first["hash_algorithm"]["algorithm"].native)
        if name not in HASHES:
            return [f"the ESS signing-certificate hash {name} is not accepted"]
        match = bytes(first["cert_hash"].native) == _digest(name, der)
    elif "signing_certificate" in found:
        first = found["signing_certificate"][0]["certs"][0]
        match = bytes(first["cert_hash"].native) == hashlib.sha1(der).digest()
    else:
        return ["the token does not name its signer's certificate (no ESS signing-certificate attribute)"]
    if match:
        return []
    return ["the certificate in the token is not the one the TSA signed with (ESS certificate hash differs)"]


def _check_signature(signer_info: Any, signed: bytes, signer: x509.Certificate) -> list[str]:
    """Verify with cryptography (OpenSSL): PKCS #1 v1.5 compares the whole encoded DigestInfo, so
    trailing bytes or a small-exponent forgery fail."""
    signature = bytes(signer_info["signature"].native)
    algorithm = signer_info["signature_algorithm"]
    kind = str(algorithm.signature_algo)
    fallback = str(signer_info["digest_algorithm"]["algorithm"].native)
    key = signer.public_key()
    try:
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), _hash(_hash_name(algorithm, fallback)))
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            mgf = params["mask_gen_algorithm"]
            if mgf["algorithm"].native != "mgf1" or params["trailer_field"].native != "trailer_field_bc":
                return ["the RSA-PSS parameters are not MGF1 with the standard trailer"]
            pss = padding.PSS(
                padding.MGF1(_hash(mgf["parameters"]["algorithm"].native)), params["salt_length"].native
            )
            key.verify(signature, signed, pss, _hash(params["hash_algorithm"]["algorithm"].native))
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(_hash(_hash_name(algorithm, fallback))))
        else:
            key_kind = type(key).__name__.removeprefix("_").replace("PublicKey", "")
            return [
                f"the signature algorithm {kind} does not fit the signer's {key_kind} key or is not supported"
            ]
    except _WeakHash as exc:
        return [str(exc)]
    except InvalidSignature:
        return [f"the signature does not verify with the signer's key ({_describe(kind)})"]
    except (ValueError, UnsupportedAlgorithm) as exc:
        return [f"the signature cannot be checked ({exc})"]
    return []


def _check_signer(signer: x509.Certificate, moment: datetime) -> list[str]:
    problems = []
    try:
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        if not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
            problems.append(
                "the signer's certificate is not a time-stamping certificate (its extended key usage "
                "must be timeStamping alone, marked critical)"
            )
    except x509.ExtensionNotFound:
        problems.append("the signer's certificate is not a time-stamping certificate (no extended key usage)")
    start, end = signer.not_valid_before_utc, signer.not_valid_after_utc
    if not start <= moment <= end:
        when = "not yet valid" if moment < start else "expired"
        problems.append(
            f"the signer's certificate was {when} at the time-stamp's time {_iso(moment)} (valid from "
            f"{_iso(start)} to {_iso(end)})"
        )
    return problems


class _WeakHash(ValueError):
    pass


def _hash_name(algorithm: Any, fallback: str) -> str:
    try:
        return str(algorithm.hash_algo)
    except ValueError:  # plain rsaEncryption / ecPublicKey: the signer's digest algorithm says
        return fallback


def _hash(name: object) -> hashes.HashAlgorithm:
    if name not in HASHES:
        raise _WeakHash(f"the signature uses {name}, which is not accepted (too weak or unknown)")
    return HASHES[str(name)]()


def _digest(name: str, data: bytes) -> bytes:
    h = hashes.Hash(HASHES[name]())
    h.update(data)
    return h.finalize()


def _describe(kind: str) -> str:
    return {"rsassa_pkcs1v15": "RSA PKCS #1 v1.5", "rsassa_pss": "RSA-PSS", "ecdsa": "ECDSA"}.get(kind, kind)


def _name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string()


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def check_token_file(token: Path, manifest: bytes, trust: Trust) -> TimestampCheck:
    """Verify ``token`` (a stored reply) against the manifest bytes, for ``verify_export``; the
    TSA's chain saved beside the token, if there is one, supplies intermediates."""
    from .manifest import TimestampCheck, chain_path
    from .tsa_trust import read_chain

    try:
        extra = read_chain(chain_path(token))
        result = verify_token(token.read_bytes(), manifest, trust, extra)
    except (ArchiverError, OSError) as exc:
        return TimestampCheck(token, "", "", INVALID, "", (f"unreadable time-stamp token: {exc}",), ())
    except Exception as exc:  # noqa: BLE001 - a damaged token is a finding of verify-export, never a crash
        problem = f"damaged time-stamp token ({type(exc).__name__}: {exc})"
        return TimestampCheck(token, "", "", INVALID, "", (problem,), ())
    gen_time = result.info.gen_time if result.info else ""
    return TimestampCheck(
        token, gen_time, result.tsa, result.verdict, result.root, result.problems, result.notes
    )

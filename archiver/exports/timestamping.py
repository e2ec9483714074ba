"""RFC 3161 time-stamps over an export manifest: request one from a TSA the user chose, and check
a stored reply offline with a small DER reader (no ASN.1 or crypto library needed).

What :func:`verify_token` checks, offline:

1. the reply's status is *granted*, and its token is CMS SignedData carrying a TSTInfo;
2. the TSTInfo's ``messageImprint`` is SHA-256 and equals the sha256 of the manifest's bytes, so the
   manifest existed, byte for byte, no later than ``genTime``;
3. the signer's ``messageDigest`` signed attribute equals the digest of the TSTInfo (so the time and
   imprint are what was signed);
4. when the reply includes the signer's certificate with an RSA key (what ``certReq`` asks for), the
   RSA PKCS #1 v1.5 signature over the signed attributes, using that key.

What it does not check: that the signing certificate chains to a root you trust, its validity
period, revocation, its extended key usage, or the ESS signing-certificate attribute; ECDSA/DSA
signatures are not verified. For those, run ``openssl ts -verify -data manifest.json -in
manifest.json.tsr -CAfile <the TSA's CA certificate>``; the verification notes say so.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArchiverError, NetworkError

if TYPE_CHECKING:
    from .manifest import TimestampCheck

OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_COMMON_NAME = "2.5.4.3"
OID_RSA = "1.2.840.113549.1.1.1"
HASHES = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
RSA_WITH = {  # signature algorithms that name their hash
    "1.2.840.113549.1.1.5": "sha1",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
}
STATUS_TEXT = {
    0: "granted",
    1: "granted with modifications",
    2: "rejection",
    3: "waiting",
    4: "revocation warning",
    5: "revocation notification",
}


class TimestampError(ArchiverError):
    """A time-stamp reply is unreadable or refused."""


# --- a minimal DER reader --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Der:
    tag: int  # the identifier octet (class, constructed bit, number < 31)
    content: bytes
    raw: bytes  # the whole TLV

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self) -> list[Der]:
        out, pos = [], 0
        while pos < len(self.content):
            node, pos = read_der(self.content, pos)
            out.append(node)
        return out

    def integer(self) -> int:
        return int.from_bytes(self.content, "big", signed=True)

    def oid(self) -> str:
        if self.tag != 0x06 or not self.content:
            raise TimestampError("expected an object identifier")
        first = self.content[0]
        parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
        value = 0
        for byte in self.content[1:]:
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                parts.append(value)
                value = 0
        return ".".join(map(str, parts))


def read_der(data: bytes, pos: int = 0) -> tuple[Der, int]:
    try:
        tag = data[pos]
        if tag & 0x1F == 0x1F:
            raise TimestampError("multi-byte ASN.1 tags are not supported")
        length = data[pos + 1]
        head = 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4:
                raise TimestampError("unsupported DER length")
            length = int.from_bytes(data[pos + 2 : pos + 2 + count], "big")
            head += count
    except IndexError:
        raise TimestampError("truncated DER data") from None
    end = pos + head + length
    if end > len(data):
        raise TimestampError("truncated DER data")
    return Der(tag, bytes(data[pos + head : end]), bytes(data[pos:end])), end


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _oid(dotted: str) -> bytes:
    nums = [int(x) for x in dotted.split(".")]
    out = bytearray([40 * nums[0] + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        n >>= 7
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


# --- request ---------------------------------------------------------------------------------------


def build_request(sha256_digest: bytes, nonce: int) -> bytes:
    """A DER TimeStampReq: v1, SHA-256 message imprint, nonce, certReq TRUE."""
    algorithm = _tlv(0x30, _oid(OID_SHA256) + b"\x05\x00")
    imprint = _tlv(0x30, algorithm + _tlv(0x04, sha256_digest))
    return _tlv(0x30, _int(1) + imprint + _int(nonce) + b"\x01\x01\xff")


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
    hash_algorithm: str = ""  # dotted OID
    hashed_message: bytes = b""
    serial: int = 0
    nonce: int | None = None
    policy: str = ""
    tst_info: bytes = b""  # the DER TSTInfo (the signed content)
    signer_digest_algorithm: str = ""
    signed_attrs: bytes = b""  # DER, as signed (SET tag)
    message_digest_attr: bytes = b""
    signature_algorithm: str = ""
    signature: bytes = b""
    signer_issuer: bytes = b""
    signer_serial: int | None = None
    certificates: tuple[bytes, ...] = ()


def parse_reply(data: bytes) -> TokenInfo:
    """Read a DER TimeStampResp (what TSAs send and ``openssl ts -reply`` writes)."""
    try:
        resp, _ = read_der(data)
        parts = resp.children()
        status = parts[0].children()[0].integer()
        if len(parts) < 2:
            return TokenInfo(status=status)
        return _parse_token(parts[1], status)
    except (IndexError, ValueError) as exc:
        raise TimestampError(f"unreadable time-stamp reply ({exc})") from None


def _parse_token(content_info: Der, status: int) -> TokenInfo:
    ci = content_info.children()
    if ci[0].oid() != OID_SIGNED_DATA:
        raise TimestampError("the token is not CMS SignedData")
    signed = ci[1].children()[0].children()
    encap = signed[2].children()
    if encap[0].oid() != OID_TST_INFO:
        raise TimestampError("the token does not carry a TSTInfo")
    tst_raw = encap[1].children()[0].content
    tst = read_der(tst_raw)[0].children()
    imprint = tst[2].children()
    gen = tst[4].content.decode("ascii")
    nonce = None
    for item in tst[5:]:
        if item.tag == 0x02:
            nonce = item.integer()
    certificates: list[bytes] = []
    signer_infos = signed[-1]
    for item in signed[3:-1]:
        if item.tag == 0xA0:
            certificates = [c.raw for c in item.children()]
    signer = signer_infos.children()[0].children()
    sid = signer[1]
    issuer, serial = (sid.children()[0].raw, sid.children()[1].integer()) if sid.tag == 0x30 else (b"", None)
    index = 3
    signed_attrs, digest_attr = b"", b""
    if signer[index].tag == 0xA0:
        attrs = signer[index]
        signed_attrs = _tlv(0x31, attrs.content)
        for attr in attrs.children():
            kids = attr.children()
            if kids[0].oid() == OID_MESSAGE_DIGEST:
                digest_attr = kids[1].children()[0].content
        index += 1
    return TokenInfo(
        status=status,
        gen_time=_generalized(gen),
        hash_algorithm=imprint[0].children()[0].oid(),
        hashed_message=imprint[1].content,
        serial=tst[3].integer(),
        nonce=nonce,
        policy=tst[1].oid(),
        tst_info=tst_raw,
        signer_digest_algorithm=signer[2].children()[0].oid(),
        signed_attrs=signed_attrs,
        message_digest_attr=digest_attr,
        signature_algorithm=signer[index].children()[0].oid(),
        signature=signer[index + 1].content,
        signer_issuer=issuer,
        signer_serial=serial,
        certificates=tuple(certificates),
    )


def _generalized(text: str) -> str:
    """``20261125063000Z`` / ``20261125063000.5Z`` → ``2026-11-25T06:30:00Z`` (fraction kept)."""
    core, _, rest = text.rstrip("Z").partition(".")
    iso = f"{core[:4]}-{core[4:6]}-{core[6:8]}T{core[8:10]}:{core[10:12]}:{core[12:14]}"
    return iso + (f".{rest}" if rest else "") + "Z"


@dataclass(frozen=True, slots=True)
class Certificate:
    issuer: bytes
    serial: int
    subject_cn: str
    rsa_key: tuple[int, int] | None  # (n, e)
    sha256: str


def parse_certificate(raw: bytes) -> Certificate:
    cert = read_der(raw)[0].children()
    tbs = cert[0].children()
    if tbs[0].tag == 0xA0:
        tbs = tbs[1:]
    serial, issuer, subject, spki = tbs[0].integer(), tbs[2].raw, tbs[4], tbs[5].children()
    cn = ""
    for rdn in subject.children():
        for atv in rdn.children():
            kids = atv.children()
            if kids[0].oid() == OID_COMMON_NAME:
                cn = kids[1].content.decode("utf-8", "replace")
    key = None
    if spki[0].children()[0].oid() == OID_RSA:
        rsa = read_der(spki[1].content[1:])[0].children()
        key = (rsa[0].integer(), rsa[1].integer())
    return Certificate(issuer, serial, cn, key, hashlib.sha256(raw).hexdigest())


def verify_token(reply: bytes, data: bytes) -> tuple[TokenInfo, list[str], list[str]]:
    """Check a stored reply against the bytes it should cover; returns (info, problems, notes)."""
    info = parse_reply(reply)
    problems: list[str] = []
    notes: list[str] = []
    if info.status not in (0, 1):
        return info, [f"the authority did not grant it ({STATUS_TEXT.get(info.status, info.status)})"], notes
    if info.hash_algorithm != OID_SHA256:
        problems.append(f"the imprint uses hash {info.hash_algorithm}, not SHA-256")
    elif info.hashed_message != hashlib.sha256(data).digest():
        problems.append("its message imprint is not the sha256 of this manifest (the manifest changed)")
    hash_name = HASHES.get(info.signer_digest_algorithm)
    if hash_name is None:
        notes.append(f"signer digest algorithm {info.signer_digest_algorithm} not checked")
    elif not info.signed_attrs:
        notes.append("no signed attributes; the signature was not checked")
    else:
        if hashlib.new(hash_name, info.tst_info).digest() != info.message_digest_attr:
            problems.append("the signed message digest does not match the time-stamp content")
        problems.extend(_check_signature(info, hash_name, notes))
    notes.append(
        "not checked offline here: that the TSA certificate chains to a root you trust, its validity and "
        "revocation; use 'openssl ts -verify -data <manifest> -in <manifest>.tsr -CAfile <TSA CA>'"
    )
    return info, problems, notes


def _check_signature(info: TokenInfo, hash_name: str, notes: list[str]) -> list[str]:
    certs = [parse_certificate(c) for c in info.certificates]
    signer = next(
        (c for c in certs if c.serial == info.signer_serial and c.issuer == info.signer_issuer), None
    )
    if signer is None:
        notes.append("the reply does not include the signer's certificate; the signature was not checked")
        return []
    notes.append(f"signed by '{signer.subject_cn}' (certificate sha256 {signer.sha256})")
    if signer.rsa_key is None:
        notes.append("the signer's key is not RSA; the signature was not checked")
        return []
    wanted = RSA_WITH.get(info.signature_algorithm, hash_name if info.signature_algorithm == OID_RSA else "")
    if not wanted:
        notes.append(f"signature algorithm {info.signature_algorithm} not checked")
        return []
    n, e = signer.rsa_key
    size = (n.bit_length() + 7) // 8
    try:  # a damaged key or signature (a negative modulus, a value too big) is a failed check
        em = pow(int.from_bytes(info.signature, "big"), e, n).to_bytes(size, "big")
    except (ValueError, OverflowError, ZeroDivisionError):
        return ["the signature does not verify with the signer's RSA key (damaged key or signature)"]
    digest = hashlib.new(wanted, info.signed_attrs).digest()
    if not em.startswith(b"\x00\x01") or b"\x00" not in em[2:]:
        return ["the signature does not verify with the signer's RSA key"]
    padding, _, digest_info = em[2:].partition(b"\x00")
    if set(padding) != {0xFF} or len(padding) < 8:
        return ["the signature does not verify with the signer's RSA key"]
    try:
        parts = read_der(digest_info)[0].children()
        ok = parts[1].content == digest and HASHES.get(parts[0].children()[0].oid()) == wanted
    except (TimestampError, IndexError):
        ok = False
    return [] if ok else ["the signature does not verify with the signer's RSA key"]


def check_token_file(token: Path, manifest: bytes) -> TimestampCheck:
    """Verify ``token`` (a stored reply) against the manifest bytes, for ``verify_export``."""
    from .manifest import TimestampCheck

    try:
        info, problems, notes = verify_token(token.read_bytes(), manifest)
    except (TimestampError, OSError) as exc:
        return TimestampCheck(token, "", "", (f"unreadable time-stamp token: {exc}",), ())
    except Exception as exc:  # noqa: BLE001 - a damaged token is a finding of verify-export, never a crash
        return TimestampCheck(token, "", "", (f"damaged time-stamp token ({type(exc).__name__}: {exc})",), ())
    tsa = next((n.split("'")[1] for n in notes if n.startswith("signed by '")), "")
    return TimestampCheck(token, info.gen_time, tsa, tuple(problems), tuple(notes))

"""A manifest of sha256 hashes beside every export, and its verification with no archive needed.

A folder export holds ``manifest.json`` listing every other file in it; a single-file export gets a
sidecar ``FILE.manifest.json``. Each entry names a file by its path relative to the manifest, with
its size and sha256, so anyone can check it with ``policydiff verify-export`` or ``sha256sum``.
When the user has chosen a time-stamping authority, ``manifest.json.tsr`` beside the manifest holds
its RFC 3161 reply over the manifest's sha256 (see :mod:`archiver.exports.timestamping`), and
``manifest.json.tsa-chain.pem`` the TSA's certificate chain as far as it was known at export time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import InputFileError
from ..timestamps import now_iso
from .paths import hash_file_size, write_file

if TYPE_CHECKING:
    from .tsa_trust import Trust

FORMAT = "policydiff-export-manifest/1"
MANIFEST_NAME = "manifest.json"
SIDECAR_SUFFIX = ".manifest.json"
TOKEN_SUFFIX = ".tsr"
CHAIN_SUFFIX = ".tsa-chain.pem"  # MANIFEST.tsa-chain.pem beside MANIFEST.tsr: the TSA's chain


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    path: str  # relative to the manifest's folder, "/"-separated
    sha256: str
    bytes: int


@dataclass(frozen=True, slots=True)
class TimestampCheck:
    """What the RFC 3161 token beside a manifest says (see ``timestamping.verify_token``)."""

    token: Path
    gen_time: str
    tsa: str
    verdict: str  # "trusted", "valid but untrusted" or "invalid"
    root: str  # trusted: the root verified to; untrusted: the root it would need
    problems: tuple[str, ...]  # invalid: why; untrusted: why the chain is not trusted
    notes: tuple[str, ...]

    @property
    def invalid(self) -> bool:
        return self.verdict == "invalid"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    manifest: Path
    checked: int
    problems: tuple[str, ...]
    timestamp: TimestampCheck | None = None
    created: str = ""
    tool: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and (self.timestamp is None or not self.timestamp.invalid)


@dataclass
class Manifest:
    """The files an export wrote, to be serialised with :meth:`to_bytes`."""

    description: str
    entries: list[ManifestEntry] = field(default_factory=list)
    created: str = field(default_factory=now_iso)

    def add(self, relpath: str, sha256: str, size: int) -> None:
        self.entries.append(ManifestEntry(relpath, sha256, size))

    def to_bytes(self) -> bytes:
        doc = {
            "format": FORMAT,
            "tool": f"policydiff {__version__}",
            "created": self.created,
            "description": self.description,
            "algorithm": "sha256",
            "files": [
                {"path": e.path, "sha256": e.sha256, "bytes": e.bytes}
                for e in sorted(self.entries, key=lambda e: e.path)
            ],
        }
        return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def chain_path(token: Path) -> Path:
    """The TSA's chain saved beside a token: ``X.tsr`` → ``X.tsa-chain.pem``."""
    return token.with_suffix(CHAIN_SUFFIX)


def sidecar_for(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def write_manifest(manifest: Manifest, path: Path, *, force: bool) -> bytes:
    """Write the manifest file; returns its bytes (what a time-stamp token covers)."""
    data = manifest.to_bytes()
    write_file(path, data, force=force)
    return data


def find_manifest(path: Path) -> Path:
    """The manifest that covers ``path``: a folder's manifest.json, a file's sidecar, or itself."""
    if path.is_dir():
        candidate = path / MANIFEST_NAME
    elif path.name.endswith(SIDECAR_SUFFIX) or path.name == MANIFEST_NAME:
        candidate = path
    else:
        candidate = sidecar_for(path)
    if not candidate.is_file():
        if not path.exists():
            raise InputFileError(str(path), "no such file or folder")
        raise InputFileError(str(path), f"no manifest found (expected {candidate})")
    return candidate


def verify_export(path: Path, trust: Trust | None = None) -> VerifyReport:
    """Re-hash every file a manifest lists; a problem names each missing, changed or extra file (and
    each file inside a WACZ package that differs from the package's own list). A time-stamp token
    beside the manifest is checked against the roots of ``trust`` (default: the system's store)."""
    manifest_path = find_manifest(path)
    raw = manifest_path.read_bytes()
    try:
        doc = json.loads(raw)
        if doc.get("format") != FORMAT:
            raise ValueError(f"unknown format {doc.get('format')!r}")
        entries = [ManifestEntry(str(f["path"]), str(f["sha256"]), int(f["bytes"])) for f in doc["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputFileError(str(manifest_path), f"not a policydiff export manifest ({exc})") from None
    base = manifest_path.parent.resolve()
    problems: list[str] = []
    listed: set[Path] = set()
    for entry in entries:
        target = (base / entry.path).resolve()
        if not target.is_relative_to(base) or target == base:
            problems.append(f"{entry.path}: the manifest names a path outside its folder")
            continue
        listed.add(target)
        try:
            digest, size = hash_file_size(target)
        except FileNotFoundError:
            problems.append(f"{entry.path}: missing")
            continue
        except OSError as exc:
            problems.append(f"{entry.path}: unreadable ({exc.strerror or exc})")
            continue
        if digest != entry.sha256 or size != entry.bytes:
            problems.append(
                f"{entry.path}: changed (sha256 {digest}, {size} bytes; the manifest says "
                f"{entry.sha256}, {entry.bytes} bytes)"
            )
        if entry.path.lower().endswith(".wacz"):  # and the hashes its own data package lists
            from .wacz import check_wacz

            problems.extend(check_wacz(target))
    if manifest_path.name == MANIFEST_NAME:
        own = {
            (base / name).resolve()
            for name in (MANIFEST_NAME, MANIFEST_NAME + TOKEN_SUFFIX, MANIFEST_NAME + CHAIN_SUFFIX)
        }
        for item in sorted(base.rglob("*")):
            if item.is_file() and item.resolve() not in listed and item.resolve() not in own:
                problems.append(f"{item.relative_to(base).as_posix()}: not in the manifest (added later)")
    token_path = manifest_path.with_name(manifest_path.name + TOKEN_SUFFIX)
    timestamp = None
    if token_path.is_file():
        from .timestamping import check_token_file
        from .tsa_trust import system_trust

        timestamp = check_token_file(token_path, raw, trust or system_trust())
    return VerifyReport(
        manifest_path,
        len(entries),
        tuple(problems),
        timestamp,
        created=str(doc.get("created", "")),
        tool=str(doc.get("tool", "")),
    )

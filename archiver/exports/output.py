"""Write an export's files all at once (or refuse before writing anything), then its manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiverError
from .manifest import MANIFEST_NAME, TOKEN_SUFFIX, Manifest, chain_path, sidecar_for, write_manifest
from .paths import check_new, safe_join, write_file


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote."""

    files: tuple[Path, ...]  # data files, manifest not included
    manifest: Path
    token: Path | None = None  # RFC 3161 reply over the manifest, when a TSA was asked
    items: int = 0  # captures / versions / rows exported
    skipped: tuple[str, ...] = ()  # what could not be exported, one line each
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. what the time-stamp proves (trusted or valid but untrusted)


def write_folder(
    root: Path,
    files: Sequence[tuple[Sequence[str], bytes]],
    *,
    description: str,
    force: bool,
    tsa_url: str | None = None,
    items: int = 0,
    skipped: Sequence[str] = (),
) -> ExportResult:
    """Write ``files`` (path components, bytes) under ``root`` plus ``root/manifest.json``.

    Every target is checked first: if any exists and ``force`` is off, nothing is written.
    """
    if root.exists() and not root.is_dir():
        raise ArchiverError(f"{root} exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    files = _distinct(files)
    targets = [safe_join(root, *parts) for parts, _ in files]
    manifest_path = root / MANIFEST_NAME
    token_path = manifest_path.with_name(MANIFEST_NAME + TOKEN_SUFFIX)
    chain_file = chain_path(token_path)
    # the manifest must list every file of the folder, or verify-export reports the rest as added
    ours = {p.resolve() for p in (*targets, manifest_path, token_path, chain_file)}
    others = sorted(p for p in root.rglob("*") if p.is_file() and p.resolve() not in ours)
    if others and not force:
        raise ArchiverError(
            f"{root} already holds other files ({others[0].relative_to(root)}…); export into an empty "
            "folder, or pass --force to replace an earlier export there"
        )
    check_new([*targets, manifest_path, *([token_path, chain_file] if tsa_url else [])], force)
    if force:  # files of an earlier export there that this one does not write again
        for stale in _listed(manifest_path):
            if stale not in ours:
                stale.unlink(missing_ok=True)
    manifest = Manifest(description)
    for target, (parts, data) in zip(targets, files, strict=True):
        write_file(target, data, force=force)
        manifest.add("/".join(parts), data)
    raw = write_manifest(manifest, manifest_path, force=force)
    token, warnings, notes = _timestamp(raw, token_path, tsa_url, force)
    return ExportResult(tuple(targets), manifest_path, token, items, tuple(skipped), warnings, notes)


def _distinct(files: Sequence[tuple[Sequence[str], bytes]]) -> list[tuple[Sequence[str], bytes]]:
    """File names made distinct: two versions at the same second get ``-2``, ``-3``…; a top folder
    named like the manifest gets a leading ``_``."""
    seen: set[tuple[str, ...]] = set()
    out: list[tuple[Sequence[str], bytes]] = []
    for parts, data in files:
        names = list(parts)
        if names[0].casefold().startswith(MANIFEST_NAME):
            names[0] = "_" + names[0]
        stem, dot, suffix = names[-1].rpartition(".")
        n = 1
        while tuple(x.casefold() for x in names) in seen:
            n += 1
            names[-1] = f"{stem}-{n}{dot}{suffix}" if dot else f"{names[-1]}-{n}"
        seen.add(tuple(x.casefold() for x in names))
        out.append((names, data))
    return out


def _listed(manifest_path: Path) -> list[Path]:
    """The files an existing manifest lists (inside its folder); none if it is unreadable."""
    import json

    try:
        doc = json.loads(manifest_path.read_bytes())
        paths = [str(f["path"]) for f in doc["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    base = manifest_path.parent.resolve()
    out = []
    for name in paths:
        target = (base / name).resolve()
        if target.is_relative_to(base) and target != base:
            out.append(target)
    return out


def write_single(
    path: Path,
    data: bytes,
    *,
    description: str,
    force: bool,
    tsa_url: str | None = None,
    items: int = 0,
    skipped: Sequence[str] = (),
) -> ExportResult:
    """Write one export file and its sidecar manifest ``FILE.manifest.json``."""
    path = path.expanduser()
    if path.is_dir():
        raise ArchiverError(f"{path} is a folder; give a file name")
    manifest_path = sidecar_for(path)
    token_path = manifest_path.with_name(manifest_path.name + TOKEN_SUFFIX)
    chain_file = chain_path(token_path)
    check_new([path, manifest_path, *([token_path, chain_file] if tsa_url else [])], force)
    write_file(path, data, force=force)
    manifest = Manifest(description)
    manifest.add(path.name, data)
    raw = write_manifest(manifest, manifest_path, force=force)
    token, warnings, notes = _timestamp(raw, token_path, tsa_url, force)
    return ExportResult((path,), manifest_path, token, items, tuple(skipped), warnings, notes)


def _timestamp(
    manifest: bytes, token_path: Path, tsa_url: str | None, force: bool
) -> tuple[Path | None, tuple[str, ...], tuple[str, ...]]:
    """Ask the TSA for a token over the manifest and check it at once against the system's roots;
    write the token and the TSA's chain (as far as it is known) beside the manifest. A stale token
    or chain of an earlier export (``--force``) goes first: it would no longer match."""
    from .timestamping import INVALID, TRUSTED, request_token, verify_token
    from .tsa_trust import chain_pem, system_trust

    chain = chain_path(token_path)
    if force:
        token_path.unlink(missing_ok=True)
        chain.unlink(missing_ok=True)
    if not tsa_url:
        return None, (), ()
    try:
        reply = request_token(tsa_url, hashlib.sha256(manifest).digest())
    except ArchiverError as exc:
        return None, (f"the export is written, but not time-stamped: {exc}",), ()
    check = verify_token(reply, manifest, system_trust())
    if check.verdict == INVALID:
        return None, (f"the export is written, but not time-stamped: {tsa_url} sent an invalid token: "
                      + "; ".join(check.problems),), ()  # fmt: skip
    write_file(token_path, reply, force=force)
    write_file(chain, chain_pem(check.chain), force=force)
    if check.verdict == TRUSTED:
        return (
            token_path,
            (),
            (f"time-stamp trusted: signed by '{check.tsa}', chain verified to {check.root}",),
        )
    return (
        token_path,
        (),
        (
            f"time-stamp valid but untrusted here: signed by '{check.tsa}', whose chain needs the root "
            f"{check.root}; whoever checks it gives that root with 'verify-export --tsa-ca FILE'",
        ),
    )

"""Write an export's files (or refuse before writing anything), then its manifest: streamed to temporary
names beside the target and put in place only when whole, so an export of any size needs little memory
and an interrupted one leaves nothing half-written."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchiverError
from ..files import fsync_dir
from .manifest import MANIFEST_NAME, TOKEN_SUFFIX, Manifest, chain_path, sidecar_for, write_manifest
from .paths import StagedFile, check_new, remove_orphans, safe_join, write_file


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


#: One file of a folder export: its path components, and a call that gives its bytes when its turn
#: comes (so only one file's bytes are in memory at a time).
FolderFile = tuple[Sequence[str], Callable[[], bytes]]


def write_folder(
    root: Path,
    files: Sequence[FolderFile],
    *,
    description: str,
    force: bool,
    tsa_url: str | None = None,
    items: int = 0,
    skipped: Sequence[str] = (),
) -> ExportResult:
    """Write ``files`` under ``root`` plus ``root/manifest.json``.

    Every target is checked first: if any exists and ``force`` is off, nothing is written. The files
    are written one at a time into a staging folder beside ``root`` (``.NAME.PID.tmp``) and the
    manifest last; a new or empty ``root`` is then replaced by the staging folder in one rename, so a
    ``kill -9`` leaves either no export or the whole of it. Replacing an earlier export (``force``)
    moves the files in one by one, each whole, the manifest last.
    """
    root = root.expanduser()
    if root.exists() and not root.is_dir():
        raise ArchiverError(f"{root} exists and is not a folder")
    files = _distinct(files)
    targets = [safe_join(root, *parts) for parts, _ in files]
    manifest_path = root / MANIFEST_NAME
    token_path = manifest_path.with_name(MANIFEST_NAME + TOKEN_SUFFIX)
    chain_file = chain_path(token_path)
    if root.exists():
        # the manifest must list every file of the folder, or verify-export reports the rest as added
        ours = {p.resolve() for p in (*targets, manifest_path, token_path, chain_file)}
        others = sorted(p for p in root.rglob("*") if p.is_file() and p.resolve() not in ours)
        if others and not force:
            raise ArchiverError(
                f"{root} already holds other files ({others[0].relative_to(root)}…); export into an empty "
                "folder, or pass --force to replace an earlier export there"
            )
        check_new([*targets, manifest_path, *([token_path, chain_file] if tsa_url else [])], force)
    with StagedFolder(root) as stage:
        manifest = Manifest(description)
        for parts, data in files:
            written = stage.write(parts, data())
            manifest.add("/".join(parts), written.sha256, written.size)
        raw = manifest.to_bytes()
        stage.write([MANIFEST_NAME], raw)
        stage.put_in_place(force=force, stale=_listed(manifest_path) if force else ())
    token, warnings, notes = _timestamp(raw, token_path, tsa_url, force)
    return ExportResult(tuple(targets), manifest_path, token, items, tuple(skipped), warnings, notes)


class StagedFolder:
    """A folder export built in ``.NAME.PID.tmp`` beside its target, then put in place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root.with_name(f".{root.name[:80]}.{os.getpid()}.tmp")
        self.names: list[Sequence[str]] = []

    def __enter__(self) -> StagedFolder:
        self.root.parent.mkdir(parents=True, exist_ok=True)
        remove_orphans(self.root)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, parts: Sequence[str], data: bytes) -> StagedFile:
        with StagedFile(safe_join(self.tmp, *parts), force=True) as out:
            out.file.write(data)
            out.expected_sha256 = hashlib.sha256(data).hexdigest()
        self.names.append(parts)
        return out

    def put_in_place(self, *, force: bool, stale: Sequence[Path]) -> None:
        """One rename when ``root`` is new or empty; else file by file, each whole, manifest last."""
        try:
            if not self.root.exists() or not any(self.root.iterdir()):
                os.replace(self.tmp, self.root)
                fsync_dir(self.root.parent)
                return
            keep = {safe_join(self.root, *parts).resolve() for parts in self.names}
            for old in stale:  # files of an earlier export there that this one does not write again
                if old not in keep and force:
                    old.unlink(missing_ok=True)
            token = self.root / (MANIFEST_NAME + TOKEN_SUFFIX)
            token.unlink(missing_ok=True)  # it would no longer match, nor the chain beside it
            chain_path(token).unlink(missing_ok=True)
            for parts in sorted(self.names, key=lambda p: list(p) == [MANIFEST_NAME]):
                target = safe_join(self.root, *parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(safe_join(self.tmp, *parts), target)
                fsync_dir(target.parent)
        except OSError as exc:
            raise ArchiverError(f"cannot write {self.root}: {exc.strerror or exc}") from None


def _distinct(files: Sequence[FolderFile]) -> list[FolderFile]:
    """File names made distinct: two versions at the same second get ``-2``, ``-3``…; a top folder
    named like the manifest gets a leading ``_``."""
    seen: set[tuple[str, ...]] = set()
    out: list[FolderFile] = []
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


@dataclass(frozen=True, slots=True)
class Written:
    """What a streaming writer reports once it has written an export file."""

    description: str  # for the manifest
    items: int = 0
    skipped: tuple[str, ...] = ()


def stream_single(
    path: Path, write: Callable[[StagedFile], Written], *, force: bool, tsa_url: str | None = None
) -> ExportResult:
    """Write one export file with ``write`` (handed a :class:`StagedFile`: the bytes stream to a
    temporary file beside ``path`` and take its name only once complete), then its sidecar manifest
    ``FILE.manifest.json``. Nothing is at ``path`` until the file is whole."""
    path = path.expanduser()
    if path.is_dir():
        raise ArchiverError(f"{path} is a folder; give a file name")
    manifest_path = sidecar_for(path)
    token_path = manifest_path.with_name(manifest_path.name + TOKEN_SUFFIX)
    chain_file = chain_path(token_path)
    check_new([path, manifest_path, *([token_path, chain_file] if tsa_url else [])], force)
    with StagedFile(path, force=force) as out:
        written = write(out)
    manifest = Manifest(written.description)
    manifest.add(path.name, out.sha256, out.size)
    raw = write_manifest(manifest, manifest_path, force=force)
    token, warnings, notes = _timestamp(raw, token_path, tsa_url, force)
    return ExportResult((path,), manifest_path, token, written.items, written.skipped, warnings, notes)


def write_single(
    path: Path, data: bytes, *, description: str, force: bool, tsa_url: str | None = None
) -> ExportResult:
    """Write one export file already in memory (a report) and its sidecar manifest."""

    def write(out: StagedFile) -> Written:
        out.file.write(data)
        out.expected_sha256 = hashlib.sha256(data).hexdigest()
        return Written(description)

    return stream_single(path, write, force=force, tsa_url=tsa_url)


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

"""Safe file names from URLs and labels, and writes that never overwrite without ``force``.

Every path an export writes is built from components that went through :func:`safe_component` and
joined with :func:`safe_join`, which refuses anything that would land outside the export folder.
A component is portable: no separators, no control characters, none of ``<>:"|?*``, no leading or
trailing dots or spaces, no Windows reserved device names (``CON``, ``NUL``, ``COM1``…), and at most
:data:`MAX_COMPONENT_BYTES` UTF-8 bytes (a long name is cut and given a short hash so it stays unique).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from ..errors import ArchiverError, UsageError, kind_of
from ..files import fsync_dir, pid_alive

#: Well under the 255-byte limit of common file systems, leaving room for suffixes.
MAX_COMPONENT_BYTES = 120

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_SPACES = re.compile(r"\s+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{name}{n}" for name in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")
}


class ExportExistsError(UsageError):
    """An export would overwrite an existing file; nothing was written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists; choose another name or pass --force to overwrite it")


class UnsafePathError(ArchiverError):
    """A path built from archived data would leave the export folder (a bug or hostile data)."""

    def __init__(self, root: Path, name: str) -> None:
        super().__init__(f"refusing to write {name!r}: it would leave the export folder {root}")


def safe_component(text: str, *, max_bytes: int = MAX_COMPONENT_BYTES, fallback: str = "_") -> str:
    """One portable path component made from ``text`` (see the module docstring)."""
    cleaned = unicodedata.normalize("NFC", text)
    cleaned = _UNSAFE.sub("_", cleaned)
    cleaned = _SPACES.sub(" ", cleaned).strip(" .")
    if not cleaned or set(cleaned) <= {"_", "."}:
        cleaned = fallback
    if cleaned.split(".", 1)[0].strip().upper() in _RESERVED:
        cleaned = "_" + cleaned
    if len(cleaned.encode("utf-8")) > max_bytes:
        tag = "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
        room = max_bytes - len(tag)
        cut = cleaned.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
        cleaned = (cut or fallback) + tag
    return cleaned


def url_slug(url: str, *, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """A readable folder name for a URL: host and path (``docs.github.com_en_site-policy``).

    Two URLs that clean to the same text get different names: the slug then carries a hash of the URL.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    path = unquote(parts.path).strip("/")
    readable = "_".join(p for p in [host, *path.split("/")] if p)
    if parts.query:
        readable += "_" + unquote(parts.query)
    slug = safe_component(readable or "page", max_bytes=max_bytes - 11)
    # "/" and "?" become "_": a name is only left bare when reading it back is unambiguous
    if slug != readable or parts.query or "_" in host + path:
        slug += "-" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    return slug


def safe_join(root: Path, *components: str) -> Path:
    """``root / components`` after checking that the result stays inside ``root``.

    Components are expected to come from :func:`safe_component`; this is the last line of defence.
    """
    base = root.resolve()
    target = base
    for component in components:
        if component in ("", ".", "..") or "/" in component or "\\" in component or "\x00" in component:
            raise UnsafePathError(base, "/".join(components))
        target = target / component
    resolved = target.resolve()
    if not resolved.is_relative_to(base) or resolved == base:
        raise UnsafePathError(base, "/".join(components))
    return target


def check_new(paths: Iterable[Path], force: bool) -> None:
    """Refuse (before anything is written) when any of ``paths`` exists and ``force`` is off."""
    if force:
        return
    for path in paths:
        if path.exists() or path.is_symlink():
            raise ExportExistsError(path)


class StagedFile:
    """A file written under a temporary name beside ``path`` and put in place whole at the end.

    ``with StagedFile(path, force=...) as out: out.file.write(...)``: the bytes go to
    ``.NAME.PID.tmp`` in the target's folder, so an export of any size streams to disk and a reader
    (or a ``kill -9``) never meets half a file under the real name. On leaving the block the file is
    flushed to disk and read back: ``sha256`` and ``size`` are what is on disk (the manifest vouches for
    those), and when the writer set ``expected_sha256`` (the hash of what it meant to write) they must
    match. Then it is renamed into place: without ``force`` through a hard link, which fails if the name
    was taken meanwhile. An exception inside the block removes the temporary file and writes nothing.
    """

    def __init__(self, path: Path, *, force: bool) -> None:
        self.path = path
        self.force = force
        self.tmp = path.with_name(f".{path.name[:80]}.{os.getpid()}.tmp")
        self.expected_sha256: str | None = None
        self.sha256 = ""
        self.size = 0
        self._file: BinaryIO | None = None

    @property
    def file(self) -> BinaryIO:
        assert self._file is not None, "use StagedFile in a with block"
        return self._file

    def __enter__(self) -> StagedFile:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_orphans(self.path)
        try:
            self._file = open(self.tmp, "wb")
        except OSError as exc:
            raise ArchiverError(
                f"cannot write {self.path}: {exc.strerror or exc}", kind=kind_of(exc)
            ) from None
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        try:
            if exc_type is None:
                self._put_in_place()
        except FileExistsError:
            raise ExportExistsError(self.path) from None
        except OSError as exc:
            raise ArchiverError(
                f"cannot write {self.path}: {exc.strerror or exc}", kind=kind_of(exc)
            ) from None
        finally:
            with contextlib.suppress(OSError):
                self.file.close()
            with contextlib.suppress(OSError):
                self.tmp.unlink()

    def _put_in_place(self) -> None:
        fh = self.file
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        self.sha256, self.size = hash_file_size(self.tmp)
        if self.expected_sha256 is not None and self.sha256 != self.expected_sha256:
            raise ArchiverError(
                f"cannot write {self.path}: the file did not read back as written (a disk fault?)"
            )
        if self.force:
            os.replace(self.tmp, self.path)
        else:
            try:
                os.link(self.tmp, self.path)
            except FileExistsError:
                raise ExportExistsError(self.path) from None
            except OSError:  # file systems without hard links (FAT, SMB, many FUSE mounts)
                # claim the name (fails if taken), then put the whole file in its place at once
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                os.replace(self.tmp, self.path)
        fsync_dir(self.path.parent)


def hash_file_size(path: Path) -> tuple[str, int]:
    """sha256 and size of a file, read in pieces."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_file(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` through a :class:`StagedFile` (never overwriting unless ``force``),
    checking that the file reads back as the bytes in memory."""
    with StagedFile(path, force=force) as out:
        out.file.write(data)
        out.expected_sha256 = hashlib.sha256(data).hexdigest()


def remove_orphans(path: Path) -> None:
    """Temp files of an earlier export of ``path`` whose writer died (killed, disk full, power cut).

    Exports go to whatever folder the user names, so no sweep at start-up could find them (unlike the
    archive's own ``tmp/``): the next export of the same file is where such a leftover is met."""
    prefix = f".{path.name[:80]}."
    for item in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid = item.name[len(prefix) : -len(".tmp")]
        if pid.isdigit() and not pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                if item.is_dir() and not item.is_symlink():  # a folder export's staging folder
                    shutil.rmtree(item)
                else:
                    item.unlink()

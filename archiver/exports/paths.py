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
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import ArchiverError, UsageError
from ..files import fsync_dir, hash_file, pid_alive

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


def write_file(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path``: exclusively (never overwriting) unless ``force``; atomically.

    The bytes go to a temporary file beside the target, are flushed to disk, read back (the
    manifest vouches for the bytes in memory: they must be what is on disk) and renamed into place,
    so a reader never sees half a file. Without ``force`` the rename is replaced by a hard link,
    which fails if the name was taken meanwhile.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(path)
    tmp = path.with_name(f".{path.name[:80]}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if hash_file(tmp) != hashlib.sha256(data).hexdigest():
            raise ArchiverError(f"cannot write {path}: the file did not read back as written (a disk fault?)")
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise ExportExistsError(path) from None
            except OSError:  # file systems without hard links (FAT, SMB, many FUSE mounts)
                # claim the name (fails if taken), then put the whole file in its place at once
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                os.replace(tmp, path)
        fsync_dir(path.parent)
    except FileExistsError:
        raise ExportExistsError(path) from None
    except OSError as exc:
        raise ArchiverError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _remove_orphans(path: Path) -> None:
    """Temp files of an earlier export of ``path`` whose writer died (killed, disk full, power cut).

    Exports go to whatever folder the user names, so no sweep at start-up could find them (unlike the
    archive's own ``tmp/``): the next export of the same file is where such a leftover is met."""
    prefix = f".{path.name[:80]}."
    for item in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid = item.name[len(prefix) : -len(".tmp")]
        if pid.isdigit() and not pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                item.unlink()

"""The user's Internet Archive S3 keys, which Save Page Now needs (PROTOCOLS.md §8.3 case 30).

They come from the environment (``IA_ACCESS_KEY``/``IA_SECRET_KEY``, for scripts) or from the
system keychain (macOS Keychain, Windows Credential Manager, a Secret Service such as GNOME Keyring
or KWallet on Linux), where ``policydiff keys --set`` and the app's key dialog put them. Never in a
file of ours, a log or an export: the secret travels only in Save Page Now's Authorization header.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import KeychainError

log = logging.getLogger(__name__)

#: Where the keys are kept in the keychain (one entry: service and user name).
KEYCHAIN_SERVICE = "policydiff"
KEYCHAIN_ENTRY = "Internet Archive S3 keys"
FROM_ENVIRONMENT = "the environment (IA_ACCESS_KEY, IA_SECRET_KEY)"
FROM_KEYCHAIN = "the system keychain"
NO_KEYCHAIN = (
    "no system keychain is available here (macOS Keychain, Windows Credential Manager, or on Linux a "
    "Secret Service such as GNOME Keyring or KWallet, in a desktop session); set IA_ACCESS_KEY and "
    "IA_SECRET_KEY instead"
)


@dataclass(frozen=True, slots=True)
class IAKeys:
    access: str
    secret: str = field(repr=False)

    @property
    def authorization(self) -> str:
        return f"LOW {self.access}:{self.secret}"


def keys_from_env(env: dict[str, str] | None = None) -> IAKeys | None:
    """IA_ACCESS_KEY / IA_SECRET_KEY from the environment."""
    source = os.environ if env is None else env
    access, secret = source.get("IA_ACCESS_KEY", "").strip(), source.get("IA_SECRET_KEY", "").strip()
    return IAKeys(access, secret) if access and secret else None


def find_keys(env: dict[str, str] | None = None) -> tuple[IAKeys, str] | None:
    """The keys and where they came from (the environment first, then the keychain); None when
    neither has them. A keychain that is missing, locked or broken counts as holding none (logged):
    the caller then asks for keys, as it would the first time."""
    keys = keys_from_env(env)
    if keys is not None:
        return keys, FROM_ENVIRONMENT
    try:
        stored = _call("read", lambda backend: backend.get_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY))
    except KeychainError as exc:
        log.info("Internet Archive keys: %s", exc)
        return None
    if stored is None:
        return None
    try:
        data = json.loads(stored)
        keys = IAKeys(str(data["access"]).strip(), str(data["secret"]).strip())
    except (ValueError, KeyError, TypeError):
        log.warning("the keychain entry %r of %r is not ours; ignored", KEYCHAIN_ENTRY, KEYCHAIN_SERVICE)
        return None
    return (keys, FROM_KEYCHAIN) if keys.access and keys.secret else None


def remember_keys(keys: IAKeys) -> None:
    """Store the keys in the system keychain (replacing any stored before)."""
    if not (keys.access.strip() and keys.secret.strip()):
        raise KeychainError("both the access key and the secret key are needed")
    payload = json.dumps({"access": keys.access.strip(), "secret": keys.secret.strip()})
    _call("store", lambda backend: backend.set_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY, payload))


def forget_keys() -> bool:
    """Remove the keys from the system keychain; False when none were stored there."""
    from keyring.errors import PasswordDeleteError

    def delete(backend: Any) -> bool:
        if backend.get_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY) is None:
            return False
        try:
            backend.delete_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY)
        except PasswordDeleteError:
            return False
        return True

    return bool(_call("remove", delete))


def _call(what: str, action: Any) -> Any:
    """Run ``action(backend)`` on the system keychain; every failure becomes a KeychainError."""
    backend = _backend()
    try:
        return action(backend)
    except Exception as exc:  # keyring, D-Bus and platform errors alike: the message names them
        raise KeychainError(
            f"the system keychain could not {what} the keys: {exc or type(exc).__name__}"
        ) from exc


def _backend() -> Any:
    """The keychain the keyring library chose, refused when it is none at all or a plain-text file
    (keyrings.alt): the secret must not end up readable on disk."""
    import keyring
    from keyring.backends import fail, null

    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        raise KeychainError(f"{NO_KEYCHAIN} ({exc})") from exc
    for b in getattr(backend, "backends", None) or [backend]:
        if isinstance(b, fail.Keyring | null.Keyring) or "plaintext" in type(b).__name__.lower():
            raise KeychainError(NO_KEYCHAIN)
    return backend

"""The user's Internet Archive S3 keys, which Save Page Now needs (docs/fault-cases.md case 30).

They come from the environment (``IA_ACCESS_KEY``/``IA_SECRET_KEY``, for scripts) or from the
system keychain (macOS Keychain, Windows Credential Manager, a Secret Service such as GNOME Keyring
or KWallet on Linux), where ``policydiff keys --set`` and the app's key dialog put them. Never in a
file of ours, a log or an export: the secret travels only in Save Page Now's Authorization header.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import KeychainError

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


def find_keys(env: dict[str, str] | None = None) -> tuple[IAKeys | None, str]:
    """The keys and where they came from (the environment first, then the keychain), or None and
    why not: "" when neither holds any, else what the keychain said (missing, locked, broken), so
    the caller can ask for keys and say why it asks again."""
    keys = keys_from_env(env)
    if keys is not None:
        return keys, FROM_ENVIRONMENT
    try:
        stored = _call("read", lambda backend: backend.get_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY))
    except KeychainError as exc:  # (the caller says why; a log line would say it twice)
        return None, str(exc)
    if stored is None:
        return None, ""
    try:
        data = json.loads(stored)
        keys = IAKeys(str(data["access"]).strip(), str(data["secret"]).strip())
    except (ValueError, KeyError, TypeError):
        return (
            None,
            f"the keychain entry {KEYCHAIN_ENTRY!r} of {KEYCHAIN_SERVICE!r} is not in policydiff's form",
        )
    return (keys, FROM_KEYCHAIN) if keys.access and keys.secret else (None, "")


def remember_keys(keys: IAKeys) -> None:
    """Store the keys in the system keychain (replacing any stored before). Callers store keys once
    the Internet Archive has accepted them, so a typo never replaces good keys."""
    if not (keys.access.strip() and keys.secret.strip()):
        raise KeychainError("both the access key and the secret key are needed")
    payload = json.dumps({"access": keys.access.strip(), "secret": keys.secret.strip()})
    _call("store", lambda backend: backend.set_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY, payload))


def forget_keys() -> bool:
    """Remove the keys from the system keychain; False when none were stored there."""

    def delete(backend: Any) -> bool:
        if backend.get_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY) is None:
            return False
        backend.delete_password(KEYCHAIN_SERVICE, KEYCHAIN_ENTRY)
        return True

    return bool(_call("remove", delete))


def _call(what: str, action: Any) -> Any:
    """Run ``action(backend)`` on the system keychain; every failure becomes a KeychainError. (A
    locked keychain makes the system ask for its password first, as any program's use of it does.)"""
    backend = _backend()
    try:
        return action(backend)
    except Exception as exc:  # keyring, D-Bus and platform errors alike: the message names them
        raise KeychainError(
            f"the system keychain could not {what} the keys: {exc or type(exc).__name__}"
        ) from exc


#: The keyring library's backends for the platforms' own keychains; anything else (a plain-text or
#: password-file keyring from keyrings.alt, a third-party plug-in) is not a system keychain.
SYSTEM_KEYCHAINS = frozenset(
    {
        "keyring.backends.macOS",
        "keyring.backends.Windows",
        "keyring.backends.SecretService",
        "keyring.backends.libsecret",
        "keyring.backends.kwallet",
    }
)


def _backend() -> Any:
    """The system keychain among the backends the keyring library chose (it may chain several),
    most preferred first; a KeychainError when there is none."""
    try:
        import keyring

        chosen = keyring.get_keyring()
    except Exception as exc:
        raise KeychainError(f"{NO_KEYCHAIN} ({exc or type(exc).__name__})") from exc
    for backend in getattr(chosen, "backends", None) or [chosen]:
        if type(backend).__module__ in SYSTEM_KEYCHAINS:
            return backend
    raise KeychainError(NO_KEYCHAIN)

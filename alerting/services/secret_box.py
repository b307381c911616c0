"""Encryption for the few secrets the platform must read back: the CAD keys it signs webhooks with.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with the key from ALERTING_SECRET_KEY. In
development, with no key set, one is generated once into `secret_key_file` (mode 0600) so the API
and the worker of one checkout agree without configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from alerting.settings import Settings

__all__ = ["SecretBox", "SecretBoxError", "load_key"]


class SecretBoxError(RuntimeError):
    """The stored secret cannot be decrypted: the secret key changed or the row was altered."""


class SecretBox:
    def __init__(self, key: bytes):
        self._fernet = Fernet(key)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("a stored secret cannot be decrypted with ALERTING_SECRET_KEY") from exc


def load_key(settings: Settings) -> bytes:
    """The configured key, else the development key file, created atomically on first use."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = Path(settings.secret_key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temp file, then linked into place: a second process starting
        # at the same moment either wins the link or reads the complete winner.
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first; use theirs
        finally:
            tmp.unlink()
    return path.read_bytes().strip()

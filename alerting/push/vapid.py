"""The server's VAPID key (RFC 8292): from settings, else generated once into a file and reused.

Every API process and worker must sign with the same key that clients subscribed with, so a
generated key is written once (atomically, mode 0600) and read by every later start.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02  # RFC 8292 "vapid t=..,k=.." (Vapid01 is the older draft)

from alerting.settings import Settings


def load_or_create(settings: Settings) -> Vapid02:
    if settings.vapid_private_key:
        key = settings.vapid_private_key.strip()
        return Vapid02.from_pem(key.encode()) if key.startswith("-----BEGIN") else Vapid02.from_string(key)
    path = Path(settings.vapid_key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = Vapid02()
        fresh.generate_keys()
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(fresh.private_pem())
        try:
            os.link(tmp, path)  # fails if another process created it first: theirs wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return Vapid02.from_file(str(path))


def application_server_key(vapid: Vapid02) -> str:
    """The public key as a browser's `pushManager.subscribe({applicationServerKey})` wants it."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults), off the event loop.

Hashing is deliberately slow (tens of milliseconds of CPU), so it runs in a thread. An unknown
account is checked against a fixed dummy hash, so the time taken does not say whether it exists.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "hash_password", "needs_rehash", "verify"]

MIN_LENGTH, MAX_LENGTH = 12, 256  # NCSC: length over composition rules
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("a password no account has")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify(stored: str | None, password: str) -> bool:
    """True only for a stored hash that matches; `None` costs the same time and is never true."""
    return await asyncio.to_thread(_verify, stored, password)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)

"""Field encryption for personal data: Fernet for the value, a keyed hash for exact lookup.

The key comes from ``FIELD_ENCRYPTION_KEY`` (a Fernet key) or is generated into ``var/`` for a
local install. Losing the key loses the encrypted data: back it up with the database.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())


@lru_cache(maxsize=1)
def _hash_key() -> bytes:
    # A separate key for the lookup hash, derived so one secret is enough to back up.
    return hashlib.sha256(b"dangjian-lookup:" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()


def encrypt(value: str) -> str:
    """Encrypt a non-empty string; an empty string stays empty."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt what ``encrypt`` produced; raises ValueError on a foreign or corrupt token."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("无法解密：密钥不匹配或数据已损坏") from exc


def lookup_hash(value: str) -> str:
    """A keyed hash for exact-match lookup of an encrypted value (empty for empty)."""
    if not value:
        return ""
    return hmac.new(_hash_key(), value.encode(), hashlib.sha256).hexdigest()


def mask_name(name: str) -> str:
    """``张*`` / ``欧阳**``: a person's name with all but the first character (two for names
    of four or more, usually a compound surname) starred; a one-character name is all stars."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_phone(number: str) -> str:
    """The one phone mask: a mobile ``138****5678``; a fixed line (with area code)
    ``031****67``; empty stays empty."""
    if len(number) == 11 and number.isdigit() and number.startswith("1"):
        return mask(number, keep_start=3, keep_end=4)
    return mask(number, keep_start=3, keep_end=2)


def mask(value: str, *, keep_start: int, keep_end: int) -> str:
    """``138****5678``: keep the ends, star the middle."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]

"""Personal API tokens: shown once, stored as a SHA-256 digest, bound to one user."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "djt_"  # noqa: S105 — a public marker, not a secret


def new_token_key() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()

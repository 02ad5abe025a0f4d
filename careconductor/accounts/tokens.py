"""Bearer tokens: a random secret shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "cc_"


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    # A 256-bit random secret needs no slow hash: SHA-256 cannot be brute-forced at that entropy.
    return hashlib.sha256(secret.encode()).hexdigest()

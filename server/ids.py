"""Identifiers and secret tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime


def new_id(prefix: str) -> str:
    """A random public identifier such as ``ev_3kTz9aQpLm2w`` (72 random bits)."""
    return f"{prefix}_{secrets.token_urlsafe(9)}"


def new_token() -> str:
    """An unguessable secret (256 random bits) for links, members and sessions."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a secret that it never has to show again."""
    return hashlib.sha256(token.encode()).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)

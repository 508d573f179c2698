"""Keyed hashes of personal data: log fingerprints and the usernames of users the trigger creates.

Both must be impossible to compute for someone who knows only an email address:
- a log fingerprint made with a bare hash is reversed by hashing a list of known addresses;
- a generated username that anyone can compute (a UUID over public values) can be registered
  first by an attacker in a pool where usernames are free-form or email is an alias, which
  blocks the victim's first federated sign-in for good.

So both are HMAC-SHA256 under `LINKING_SECRET`, a per-deployment secret the module generates
(each use with its own derived key). The username stays deterministic for one secret, which is
what makes a retried or racing creation of the same user collide instead of duplicating it.
Without `LINKING_SECRET` (a hand-made setup) a random key per container is used and said once
in each decision line (`linking_secret: "missing"`): hashes then stay unguessable but no longer
match across containers, so a retry served by another container could create a second user
while ListUsers has not caught up with the first (FACTS §6).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os

from ascii_case import ascii_lower

SECRET_VARIABLE = "LINKING_SECRET"
_MIN_SECRET_LENGTH = 16
_container_secret: list[bytes] = []  # drawn on first use, when LINKING_SECRET is missing


def secret_is_configured() -> bool:
    return len(os.environ.get(SECRET_VARIABLE, "")) >= _MIN_SECRET_LENGTH


def _key(purpose: str) -> bytes:
    return _derived_key(os.environ.get(SECRET_VARIABLE, ""), purpose)


@functools.lru_cache(maxsize=8)
def _derived_key(raw: str, purpose: str) -> bytes:
    base = raw.encode("utf-8") if len(raw) >= _MIN_SECRET_LENGTH else _per_container()
    return hmac.new(base, purpose.encode("ascii"), hashlib.sha256).digest()


def _per_container() -> bytes:
    if not _container_secret:
        import secrets  # deferred, like uuid below: the pre token path keeps a light import

        _container_secret.append(secrets.token_bytes(32))
    return _container_secret[0]


def _digest(purpose: str, value: str) -> bytes:
    return hmac.new(_key(purpose), value.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def fingerprint(value: str) -> str:
    """16 hex digits that correlate log lines about one value without revealing it."""
    return _digest("log-fingerprint", value).hex()[:16]


def native_username(pool_id: str, email: str) -> str:
    """The username of the native user created for `email`: same email, same name (retries
    collide), but unguessable without the secret. Emails equal apart from ASCII case get one
    name, as they are one mailbox."""
    import uuid

    digest = _digest("native-username", f"{pool_id}/{ascii_lower(email)}")
    return str(uuid.UUID(bytes=digest[:16], version=4))

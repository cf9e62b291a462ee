"""Password hashing with argon2id (OWASP's first choice; Werkzeug's scrypt default is too weak)."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 12  # characters: NCSC guidance favours length over complexity rules


@cache
def _hasher(params: tuple = ()) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def _current() -> PasswordHasher:
    # Production uses the library's defaults: argon2id, 64 MiB, 3 passes (RFC 9106's low-memory profile).
    # Only the test settings lower the cost, so hundreds of test accounts don't take minutes.
    params = current_app.config.get("ARGON2_PARAMETERS", {}) if has_app_context() else {}
    return _hasher(tuple(sorted(params.items())))


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _current().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches; a malformed stored hash is simply a mismatch. The cost is read from the hash."""
    try:
        return _current().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """Spend as long as a real check, so a wrong email costs the same as a wrong password."""
    verify_password(_dummy_hash(_current()), password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password-used-for-timing")

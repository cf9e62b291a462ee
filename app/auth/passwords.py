"""Password hashing with argon2id (OWASP's first choice; Werkzeug's scrypt default is too weak)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, 64 MiB, 3 iterations: the library's RFC 9106 low-memory profile

MIN_LENGTH = 12  # characters: NCSC guidance favours length over complexity rules


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches; a malformed stored hash is simply a mismatch."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
DUMMY_HASH = hash_password("not-a-real-password-used-for-timing")

"""Which passwords people may choose (NCSC guidance: length and a deny-list, no composition rules, no expiry).

Pure: no Flask, no database. The deny-list is data shipped in the package
(common_passwords.txt, with its provenance in its header).
"""

from functools import cache
from pathlib import Path

MIN_LENGTH = 12  # characters: NCSC favours length (three random words) over complexity rules
MAX_LENGTH = 200  # characters: long enough for any passphrase, short enough to bound the hashing cost
DENY_LIST = Path(__file__).with_name("common_passwords.txt")

# Words a guesser would try first against this particular service.
CONTEXT_WORDS = frozenset({"havering", "vawg", "vawgplan", "hcsp", "community safety", "password"})


@cache
def common_passwords() -> frozenset[str]:
    """The deny-list, lower-cased."""
    lines = DENY_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _core(password: str) -> str:
    """The password without the digits and symbols people pad a common word with ("Password123!" -> "password")."""
    return password.lower().strip("0123456789!@#$%^&*()-_=+.,;:?/\\|'\"`~[]{}<> ")


def password_problem(password: str | None, email: str | None = None) -> str | None:
    """What is wrong with `password` as a message for the person choosing it, or None when it is acceptable.

    Checked case-insensitively; the email (or its part before @) is refused too.
    """
    if not password:
        return "Enter a password"
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    core = _core(password)
    common = common_passwords()
    if lowered in common or core in common or core in CONTEXT_WORDS or lowered in CONTEXT_WORDS:
        return "Choose a password that is harder to guess: this one is on a list of common passwords"
    if len(set(lowered)) <= 2:
        return "Choose a password that is harder to guess: do not repeat the same few characters"
    if email:
        email = email.strip().lower()
        local = email.partition("@")[0]
        if lowered in {email, local} or core in {email, local}:
            return "Choose a password that is not your email address"
    return None

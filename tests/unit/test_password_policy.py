"""Which passwords people may choose: NCSC length and deny-list, no composition rules."""

import pytest

from app.auth.password_policy import MIN_LENGTH, common_passwords, password_problem

COMMON = "Choose a password that is harder to guess: this one is on a list of common passwords"


@pytest.mark.parametrize("password, email, problem", [
    ("", None, "Enter a password"),
    (None, None, "Enter a password"),
    ("short", None, "Password must be 12 characters or more"),
    ("a" * 11 + "b", None, "Choose a password that is harder to guess: do not repeat the same few characters"),
    ("elevenchars", None, "Password must be 12 characters or more"),
    ("x" * 201, None, "Password must be 200 characters or fewer"),
    # on the deny-list, in any case
    ("leavemealone", None, COMMON),
    ("LeaveMeAlone", None, COMMON),
    ("qwerasdfzxcv", None, COMMON),
    ("123456qwerty", None, COMMON),
    ("1qaz2wsx3edc", None, COMMON),
    # a common word padded with digits and symbols to reach the length
    ("Password123456!", None, COMMON),
    ("Havering2019!!", None, COMMON),
    ("!!football!!2024", None, COMMON),
    ("Sunshine12345", None, COMMON),
    # the person's own email, or its first part
    ("pat.police@met.example", "Pat.Police@met.example", "Choose a password that is not your email address"),
    ("pat.police.officer", "pat.police.officer@met.example", "Choose a password that is not your email address"),
    ("pat.police.officer2024", "pat.police.officer@met.example", "Choose a password that is not your email address"),
    # acceptable: length is what counts, no composition rules
    ("correct horse battery staple", None, None),
    ("purple tractor lemonade", None, None),
    ("alllowercaseletters", None, None),
    ("twelve chars", None, None),
    ("Tr0ub4dor&3xyz", "someone@example.org", None),
])
def test_password_rules(password, email, problem):
    assert password_problem(password, email) == problem


def test_minimum_length_is_twelve():
    assert MIN_LENGTH == 12


def test_the_deny_list_is_shipped_and_lower_case():
    common = common_passwords()
    assert len(common) >= 10_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= common
    assert all(p == p.lower() for p in common)

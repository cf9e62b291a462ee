"""Account lockout and session lifetime rules, as tables."""

from datetime import UTC, datetime, timedelta

import pytest

from app.auth.rules import LOCKOUT, MAX_FAILURES, after_failure, is_locked, session_end_reason

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_ten_failures_lock_for_fifteen_minutes():
    assert MAX_FAILURES == 10 and timedelta(minutes=15) == LOCKOUT


@pytest.mark.parametrize("failures_before, failures_after, locks", [
    (0, 1, False),
    (5, 6, False),
    (8, 9, False),
    (9, 0, True),  # the 10th failure locks and restarts the count for after the lock
])
def test_after_failure(failures_before, failures_after, locks):
    outcome = after_failure(failures_before, NOW)
    assert outcome.failures == failures_after
    assert outcome.locked_now is locks
    assert outcome.locked_until == (NOW + LOCKOUT if locks else None)


def test_counting_from_zero_the_tenth_failure_is_the_one_that_locks():
    failures, locked_at = 0, None
    for attempt in range(1, 11):
        outcome = after_failure(failures, NOW)
        failures = outcome.failures
        if outcome.locked_now:
            locked_at = attempt
    assert locked_at == 10


@pytest.mark.parametrize("locked_until, locked", [
    (None, False),
    (NOW + timedelta(seconds=1), True),
    (NOW + LOCKOUT, True),
    (NOW, False),  # the lock ends at that instant
    (NOW - timedelta(minutes=1), False),
])
def test_is_locked(locked_until, locked):
    assert is_locked(locked_until, NOW) is locked


IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)


@pytest.mark.parametrize("signed_in_ago, idle_for, reason", [
    (timedelta(minutes=5), timedelta(0), None),
    (timedelta(hours=2), timedelta(minutes=30), None),  # exactly the idle limit is still fine
    (timedelta(hours=2), timedelta(minutes=30, seconds=1), "idle"),
    (timedelta(hours=12), timedelta(0), None),
    (timedelta(hours=12, seconds=1), timedelta(0), "absolute"),  # activity does not extend the absolute limit
    (timedelta(hours=13), timedelta(hours=1), "absolute"),  # both passed: the absolute limit is the reason
])
def test_session_end_reason(signed_in_ago, idle_for, reason):
    assert session_end_reason(NOW - signed_in_ago, NOW - idle_for, NOW, IDLE, ABSOLUTE) == reason

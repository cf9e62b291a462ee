"""Account lockout and session lifetime rules. Pure: no Flask, no database; times are aware UTC datetimes."""

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 10  # failed sign-ins before an account locks (GOV.UK Notify's practice)
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class FailureOutcome:
    failures: int
    locked_until: datetime | None
    locked_now: bool  # this failure is the one that locked the account


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """True while a lock is in force; None means the account was never locked."""
    return locked_until is not None and now < locked_until


def after_failure(failures: int, now: datetime, max_failures: int = MAX_FAILURES,
                  lockout: timedelta = LOCKOUT) -> FailureOutcome:
    """The counter after one more failure; the `max_failures`-th failure locks and restarts the count."""
    failures += 1
    if failures >= max_failures:
        return FailureOutcome(0, now + lockout, True)
    return FailureOutcome(failures, None, False)


def session_end_reason(created: datetime, last_seen: datetime, now: datetime, idle: timedelta,
                       absolute: timedelta) -> str | None:
    """Why a server-side session is over ("idle" or "absolute"), or None while it is still good.

    The absolute limit wins when both have passed: being active does not extend it.
    """
    if now - created > absolute:
        return "absolute"
    if now - last_seen > idle:
        return "idle"
    return None

"""The quarterly cycle: setting a period's dates, the submission tracker, reminders, review, locking.

The periods themselves and the lock check are the calendar's (app.strategy)."""

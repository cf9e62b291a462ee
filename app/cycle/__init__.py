"""The quarterly cycle: reporting periods, the submission tracker, reminders, review, locking."""

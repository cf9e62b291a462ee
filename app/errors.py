"""Exceptions the services raise and the views turn into messages."""


class ConflictError(Exception):
    """Someone else saved this object since it was loaded; `current` is what they saved."""

    def __init__(self, current):
        super().__init__("conflict")
        self.current = current


class DuplicateError(ValueError):
    """A name or email that must be unique is already taken; the message is for the user."""


class QuarterLockedError(Exception):
    """The quarter is locked (signed off): nothing in it may change until an admin re-opens it."""

    def __init__(self, quarter):
        super().__init__(f"{quarter.label} is locked: it was signed off, so nothing in it can change. "
                         "Ask an admin to re-open it if something must be corrected.")
        self.quarter = quarter

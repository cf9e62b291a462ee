"""Exceptions the services raise and the views turn into messages."""


class ConflictError(Exception):
    """Someone else saved this object since it was loaded; `current` is what they saved."""

    def __init__(self, current):
        super().__init__("conflict")
        self.current = current


class DuplicateError(ValueError):
    """A name or email that must be unique is already taken; the message is for the user."""

"""Enums whose members carry the words shown for them: `Status.AMBER.label == "Amber"`.

The value is what is stored and compared; the label is what a person reads. Each member is written
as `NAME = "value", "Label"`, so the value and its wording stand on one line.
"""

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A str enum whose members are `"value", "Label"` pairs; `.label` gives the words."""

    _label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The words shown for this member, beside any colour."""
        return self._label

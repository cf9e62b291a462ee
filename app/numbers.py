"""Numbers as people type them into forms and read them in reports (pure: no Flask, no SQLAlchemy)."""

import math


def parse_number(text: str | None) -> float | None:
    """The number typed, or None when nothing was typed; ValueError for anything that is not a number.

    Thousands separators, spaces and a trailing % are accepted because people copy figures from reports.
    """
    cleaned = (text or "").strip().replace(",", "").replace(" ", "").removesuffix("%")
    if cleaned == "":
        return None
    number = float(cleaned)
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def whole_number(value: float | None, places: int | None = None) -> int | float | None:
    """A whole float as an int (counts are stored as floats, and 12 reads better than 12.0).

    Any other number is given back as it is, or rounded to `places` decimal places; None stays None.
    """
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return value if places is None else round(value, places)

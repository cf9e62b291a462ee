"""The audit trail in plain words: field names, values and whole events as people read them (pure).

The trail stores old and new values as JSON snapshots written by each feature's service; this module
turns them into text for the page and the CSV download, so nobody reads Python (`['B2', 'B8']`,
`[None, None, None, None]`) or database names (`review_comment`).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

EMPTY = "(empty)"

# What each kind of object is called on screen; an unknown kind reads as its name with spaces.
OBJECT_NAMES = {
    "action": "Action in the plan",
    "action_update": "Action update",
    "agency": "Agency",
    "indicator": "Indicator",
    "indicator_target": "Indicator target",
    "indicator_value": "Indicator value",
    "plan_refresh": "Annual plan refresh",
    "report_pack": "Report pack",
    "reporting_period": "Quarter (reporting period)",
    "strategy": "Strategy settings",
    "user": "User account",
}

# Field names whose plain reading is not just the name with spaces.
FIELD_NAMES = {
    "carried_forward": "Carried forward",
    "current_quarter": "Current quarter",
    "deadline": "Deadline",
    "due_date": "Due date",
    "from_year": "From year",
    "locked_at": "Locked at",
    "opens_on": "Window opens",
    "profile": "Quarterly profile",
    "review_comment": "Review comment",
    "short_name": "Short name",
    "sub_actions": "Sub-actions",
    "sub_statuses": "Sub-action statuses",
    "targets_set": "Targets set",
    "year": "Year",
}

# Stored codes that have a plain word; looked up only for the fields that hold them.
_WORDS = {
    "status": {"complete": "Complete", "green": "Green", "amber": "Amber", "red": "Red", "no_update": "No update"},
    "state": {"draft": "Draft", "submitted": "Submitted", "accepted": "Accepted"},
    "role": {"admin": "Admin", "coordinator": "Coordinator", "lead": "Lead", "viewer": "Viewer"},
}
_WORDS["sub_statuses"] = _WORDS["status"]

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_MOMENT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")
_QUARTER_SLUG = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")
_YEAR_FIELDS = {"year", "from_year"}


def object_name(entity: str) -> str:
    """What a kind of object is called on screen: "action_update" -> "Action update"."""
    return OBJECT_NAMES.get(entity) or entity.replace("_", " ").capitalize()


def field_name(key: str) -> str:
    """A stored field name as a label: "review_comment" -> "Review comment"."""
    return FIELD_NAMES.get(key) or key.replace("_", " ").capitalize()


def _scalar(value: Any, key: str | None) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        if key in _YEAR_FIELDS and float(value).is_integer():
            # 2019 is the financial year 2019/20 everywhere in the app
            return f"{int(value)}/{(int(value) + 1) % 100:02d}"
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    text = str(value)
    if key in _WORDS and text in _WORDS[key]:
        return _WORDS[key][text]
    if match := _QUARTER_SLUG.match(text):
        return f"{match[1]}/{match[2]} Q{match[3]}"
    if match := _ISO_DATE.match(text):
        return _day(date(int(match[1]), int(match[2]), int(match[3])))
    if match := _ISO_MOMENT.match(text):
        return f"{_day(date(int(match[1]), int(match[2]), int(match[3])))} {match[4]}:{match[5]} UTC"
    return text if text.strip() else EMPTY


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def plain_value(value: Any, key: str | None = None) -> str:
    """A stored value in plain words.

    None and "" read "(empty)"; True/False "Yes"/"No"; a list is joined with commas and reads "(none)"
    when it holds nothing but empties; a quarterly profile reads "Q1 10, Q2 (empty)..."; a mapping reads
    "key: value; ..."; dates read "1 July 2019"; quarter slugs "2019/20 Q1"; codes such as a status
    read as their word ("green" -> "Green").
    """
    if isinstance(value, list | tuple):
        if all(item is None or item == "" for item in value):
            return "(none)"
        if key == "profile" and len(value) == 4:
            return ", ".join(f"Q{n} {_scalar(item, None)}" for n, item in enumerate(value, start=1))
        return ", ".join(_scalar(item, key) for item in value)
    if isinstance(value, Mapping):
        if not value:
            return "(none)"
        label = "sub-action" if key == "sub_statuses" else None
        return "; ".join(
            f"{label + ' ' + str(k) if label else field_name(str(k))}: {plain_value(v, key if label else str(k))}"
            for k, v in value.items()
        )
    return _scalar(value, key)


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


def changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[Change]:
    """Each field of an event as (label, old, new) in plain words, in the order the fields were stored.

    A creation has no old values and a deletion no new ones: that side reads "(empty)"; an event with
    neither (a password reset) gives no rows.
    """
    old, new = old or {}, new or {}
    keys = list(old) + [k for k in new if k not in old]
    return [
        Change(field_name(k), plain_value(old.get(k), k) if k in old else EMPTY,
               plain_value(new.get(k), k) if k in new else EMPTY)
        for k in keys
    ]


def changes_text(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> str:
    """All of an event's changes on one line, for the CSV: "Status: Amber -> Green; Commentary: ..."."""
    return "; ".join(f"{c.field}: {c.old} -> {c.new}" for c in changes(old, new))

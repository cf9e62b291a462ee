"""RAG statuses for actions, the roll-up of lead agencies' updates, and movement between quarters."""

from __future__ import annotations

from collections.abc import Iterable

from app.labels import LabelledEnum

__all__ = [
    "MITIGATION_NEEDED",
    "STATUS_ORDER",
    "SUBMITTABLE",
    "Movement",
    "Status",
    "count_by_status",
    "movement",
    "partnership_status",
]


class Status(LabelledEnum):
    """An action's RAG status for a quarter; the value is what is stored, the label is shown beside the colour."""

    COMPLETE = "complete", "Complete"
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    NO_UPDATE = "no_update", "No update"

    @property
    def definition(self) -> str:
        """One line saying what the status means, for guidance text and report keys."""
        return _DEFINITIONS[self]

    @property
    def needs_mitigation(self) -> bool:
        """True for Amber and Red, the statuses whose update must say how the risk is being handled."""
        return self in (Status.AMBER, Status.RED)

    @property
    def css(self) -> str:
        """The class suffix that picks the colour: complete (blue), green, amber, red, none (grey)."""
        return _CSS[self]


_DEFINITIONS: dict[Status, str] = {
    Status.COMPLETE: "The action has been delivered.",
    Status.GREEN: "On track: no issues.",
    Status.AMBER: "Some slippage or risk: mitigation required.",
    Status.RED: "Off track or blocked: mitigation and escalation required.",
    Status.NO_UPDATE: "Nothing has been submitted for this quarter.",
}

# What a lead is told when submitting Amber or Red without saying how the risk is handled (form and service).
MITIGATION_NEEDED = "Enter the mitigation and next steps for an Amber or Red status"

_CSS: dict[Status, str] = {
    Status.COMPLETE: "complete",
    Status.GREEN: "green",
    Status.AMBER: "amber",
    Status.RED: "red",
    # "none" rather than "no_update" so the grey class reads the same for actions and indicators.
    Status.NO_UPDATE: "none",
}

# Display order in tables, counts and chart legends: best first, missing last.
STATUS_ORDER: tuple[Status, ...] = (
    Status.COMPLETE,
    Status.GREEN,
    Status.AMBER,
    Status.RED,
    Status.NO_UPDATE,
)

# What a lead may choose: "No update" is the absence of a submission, never a choice.
SUBMITTABLE: tuple[Status, ...] = (Status.COMPLETE, Status.GREEN, Status.AMBER, Status.RED)

# Higher is worse. Complete ranks best so that a mix of Complete and Green rolls up to Green:
# an action is complete only when every submitting lead says so.
_SEVERITY: dict[Status, int] = {
    Status.COMPLETE: 0,
    Status.GREEN: 1,
    Status.AMBER: 2,
    Status.RED: 3,
}


def partnership_status(submitted: Iterable[Status | None]) -> Status:
    """The worst status among the lead agencies' submitted updates.

    None (a lead who has not submitted) and NO_UPDATE are ignored; nothing submitted gives NO_UPDATE,
    never Green, so silence cannot look like progress.
    """
    # Status(...) also accepts the plain strings a database column may hand back.
    ranked = [Status(status) for status in submitted if status is not None]
    ranked = [status for status in ranked if status is not Status.NO_UPDATE]
    if not ranked:
        return Status.NO_UPDATE
    return max(ranked, key=_SEVERITY.__getitem__)


class Movement(LabelledEnum):
    """How an action's status changed between two quarters; the label is the text shown in reports."""

    IMPROVED = "improved", "Improved"
    DECLINED = "declined", "Declined"
    UNCHANGED = "unchanged", "No change"
    NOT_COMPARABLE = "not_comparable", "Not comparable"


def movement(previous: Status, current: Status) -> Movement:
    """Direction of travel from `previous` to `current` by severity (Complete best, Red worst).

    Either side being NO_UPDATE gives NOT_COMPARABLE: a missing update is not evidence of change.
    """
    previous, current = Status(previous), Status(current)
    if previous is Status.NO_UPDATE or current is Status.NO_UPDATE:
        return Movement.NOT_COMPARABLE
    before, after = _SEVERITY[previous], _SEVERITY[current]
    if after < before:
        return Movement.IMPROVED
    if after > before:
        return Movement.DECLINED
    return Movement.UNCHANGED


def count_by_status(statuses: Iterable[Status]) -> dict[Status, int]:
    """How many of each status, with every status present (zeros included) in STATUS_ORDER."""
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for status in statuses:
        counts[Status(status)] += 1
    return counts

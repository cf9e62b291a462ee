import pytest

from app.actions.rollup import (
    STATUS_ORDER,
    SUBMITTABLE,
    Movement,
    Status,
    count_by_status,
    movement,
    partnership_status,
)

C, G, A, R, N = Status.COMPLETE, Status.GREEN, Status.AMBER, Status.RED, Status.NO_UPDATE


@pytest.mark.parametrize(
    ("status", "label", "css", "needs_mitigation", "definition"),
    [
        (C, "Complete", "complete", False, "The action has been delivered."),
        (G, "Green", "green", False, "On track: no issues."),
        (A, "Amber", "amber", True, "Some slippage or risk: mitigation required."),
        (R, "Red", "red", True, "Off track or blocked: mitigation and escalation required."),
        (N, "No update", "none", False, "Nothing has been submitted for this quarter."),
    ],
)
def test_each_status_has_text_colour_and_mitigation_rule(status, label, css, needs_mitigation, definition):
    assert (status.label, status.css, status.needs_mitigation, status.definition) == (
        label,
        css,
        needs_mitigation,
        definition,
    )


def test_a_lead_cannot_choose_no_update():
    assert SUBMITTABLE == (C, G, A, R)


def test_display_order_is_best_first_and_missing_last():
    assert STATUS_ORDER == (C, G, A, R, N)


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        ([], N),
        ([None, None, None], N),
        ([N, None], N),
        ([G], G),
        ([G, R, G], R),
        ([G, A, G], A),
        ([A, R], R),
        ([C, G], G),
        ([G, C], G),
        ([C, C, C], C),
        ([C, None], C),
        ([C, A, None], A),
        ([G, N], G),
        (["green", "red"], R),
        ((status for status in [G, A]), A),
    ],
    ids=[
        "nothing submitted",
        "no lead has submitted",
        "no update is not a submission",
        "single lead green",
        "one red among greens",
        "one amber among greens",
        "red beats amber",
        "complete and green is green",
        "order does not matter",
        "all complete",
        "the only submitting lead says complete",
        "missing lead ignored, amber wins",
        "no update does not drag green down",
        "plain strings from the database",
        "a generator",
    ],
)
def test_partnership_status_is_the_worst_submitted(submitted, expected):
    assert partnership_status(submitted) is expected


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (R, A, Movement.IMPROVED),
        (A, G, Movement.IMPROVED),
        (G, C, Movement.IMPROVED),
        (R, C, Movement.IMPROVED),
        (G, A, Movement.DECLINED),
        (A, R, Movement.DECLINED),
        (C, G, Movement.DECLINED),
        (G, R, Movement.DECLINED),
        (G, G, Movement.UNCHANGED),
        (R, R, Movement.UNCHANGED),
        (C, C, Movement.UNCHANGED),
        (N, G, Movement.NOT_COMPARABLE),
        (R, N, Movement.NOT_COMPARABLE),
        (N, N, Movement.NOT_COMPARABLE),
    ],
)
def test_movement_by_severity(previous, current, expected):
    assert movement(previous, current) is expected


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (Movement.IMPROVED, "Improved"),
        (Movement.DECLINED, "Declined"),
        (Movement.UNCHANGED, "No change"),
        (Movement.NOT_COMPARABLE, "Not comparable"),
    ],
)
def test_movement_labels(value, label):
    assert value.label == label


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], {C: 0, G: 0, A: 0, R: 0, N: 0}),
        ([R, R, G], {C: 0, G: 1, A: 0, R: 2, N: 0}),
        ([N, C, A, G, R, N], {C: 1, G: 1, A: 1, R: 1, N: 2}),
    ],
)
def test_count_by_status_lists_every_status_in_display_order(statuses, expected):
    counts = count_by_status(statuses)
    assert counts == expected
    assert list(counts) == list(STATUS_ORDER)

from datetime import date

import pytest

from app.actions.rollup import Status
from app.actions.timescale import derive_due_date, is_overdue

# Every timescale in the VAWG Strategy 2018-2021 action plan, as written, with the action it belongs to.
PLAN_TIMESCALES = [
    ("A1", "Ongoing", None),
    ("A2", "March 2019", date(2019, 3, 31)),
    ("A3", "Ongoing", None),
    ("A4", "March 2019", date(2019, 3, 31)),
    ("A5", "April 2019", date(2019, 4, 30)),
    ("A6", "March 2019 onwards", date(2019, 3, 31)),
    ("A6 as extracted", "March 2019 \nonwards", date(2019, 3, 31)),
    ("B1", "Ongoing", None),
    ("B2", "March 2019", date(2019, 3, 31)),
    ("B3", "Ongoing", None),
    ("B4", "Ongoing", None),
    ("B5", "Ongoing", None),
    ("B6", "Ongoing", None),
    ("B7", "March 2019", date(2019, 3, 31)),
    ("B8", "March 2019", date(2019, 3, 31)),
    ("B9", "April 2019 and onwards", date(2019, 4, 30)),
    ("C1", "Ongoing", None),
    ("C2", "March 2020", date(2020, 3, 31)),
    ("C3", "Ongoing", None),
    ("C4", "March 2019", date(2019, 3, 31)),
    ("C5", "Ongoing", None),
    ("D1", "Ongoing", None),
    ("D2", "Ongoing", None),
    ("D2 CPS data", "Ongoing", None),
    ("D3", "Ongoing", None),
    ("D4", "April 2019 and refresh annually", date(2019, 4, 30)),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(text, expected) for _, text, expected in PLAN_TIMESCALES],
    ids=[code for code, _, _ in PLAN_TIMESCALES],
)
def test_every_plan_timescale_gets_the_expected_due_date(text, expected):
    assert derive_due_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Month spellings people use in updates and refreshed plans.
        ("By March 2020", date(2020, 3, 31)),
        ("Sept 2019", date(2019, 9, 30)),
        ("Sep 2019", date(2019, 9, 30)),
        ("Sep. 2019", date(2019, 9, 30)),
        ("Mar 2019", date(2019, 3, 31)),
        ("september 2019", date(2019, 9, 30)),
        ("JUNE 2021", date(2021, 6, 30)),
        ("Feb 2020", date(2020, 2, 29)),
        ("February 2019", date(2019, 2, 28)),
        ("December, 2019", date(2019, 12, 31)),
        ("Sept '19", date(2019, 9, 30)),
        ("Mar-19", date(2019, 3, 31)),
        ("end of May 2019", date(2019, 5, 31)),
        ("15 March 2019", date(2019, 3, 31)),
        # Several month-year pairs: the earliest is the first deadline.
        ("April 2019 to March 2020", date(2019, 4, 30)),
        ("Review March 2020, first draft October 2019", date(2019, 10, 31)),
        # No month named: nothing to be overdue against.
        ("Ongoing", None),
        ("Annually", None),
        ("Quarterly", None),
        ("2018-2021", None),
        ("2019", None),
        ("Summer 2019", None),
        ("Spring 2020", None),
        ("Q4 2019/20", None),
        ("March 19", None),
        ("Mayor's office to advise 2019", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_derive_due_date_reads_only_a_named_month_and_year(text, expected):
    assert derive_due_date(text) == expected


DUE = date(2019, 3, 31)


@pytest.mark.parametrize(
    ("due", "status", "on", "overdue"),
    [
        (DUE, Status.GREEN, date(2019, 4, 1), True),
        (DUE, Status.AMBER, date(2019, 4, 1), True),
        (DUE, Status.RED, date(2020, 1, 1), True),
        (DUE, Status.NO_UPDATE, date(2019, 4, 1), True),
        (DUE, Status.COMPLETE, date(2019, 4, 1), False),
        (DUE, Status.GREEN, DUE, False),
        (DUE, Status.RED, date(2019, 3, 1), False),
        (None, Status.RED, date(2030, 1, 1), False),
        (None, Status.NO_UPDATE, date(2030, 1, 1), False),
    ],
    ids=[
        "green after due",
        "amber after due",
        "red long after due",
        "no update after due",
        "complete after due",
        "on the due date itself",
        "before due",
        "ongoing red",
        "ongoing no update",
    ],
)
def test_is_overdue(due, status, on, overdue):
    assert is_overdue(due, status, on) is overdue

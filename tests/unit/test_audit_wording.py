"""The audit trail in plain words: a table of stored values and how they read."""

import pytest

from app.audit.wording import Change, changes, changes_text, field_name, object_name, plain_value


@pytest.mark.parametrize("value, key, expected", [
    (None, None, "(empty)"),
    ("", "commentary", "(empty)"),
    ("  ", "note", "(empty)"),
    (True, "active", "Yes"),
    (False, "provisional", "No"),
    (12, "value", "12"),
    (12.0, "value", "12"),
    (1234567, "value", "1,234,567"),
    (80.96885813148789, "value", "80.97"),
    (0.1, "tolerance", "0.1"),
    (2019, "year", "2019/20"),
    (2018, "from_year", "2018/19"),
    (["B2", "B8"], "carried_forward", "B2, B8"),
    ([], "retired", "(none)"),
    ([None, None, None, None], "profile", "(none)"),
    ([10, None, 12.5, None], "profile", "Q1 10, Q2 (empty), Q3 12.5, Q4 (empty)"),
    (["MPS", "CPS"], "leads", "MPS, CPS"),
    ("green", "status", "Green"),
    ("no_update", "status", "No update"),
    ("green", "commentary", "green"),  # words are only looked up for the fields that hold codes
    ("submitted", "state", "Submitted"),
    ("coordinator", "role", "Coordinator"),
    ("2019-20-Q1", "current_quarter", "2019/20 Q1"),
    ("2019-20-Q4", "quarter", "2019/20 Q4"),
    ("2019-07-01", "opens_on", "1 July 2019"),
    ("2019-10-21T09:05:00+00:00", "locked_at", "21 October 2019 09:05 UTC"),
    ({"12": "green", "13": "red"}, "sub_statuses", "sub-action 12: Green; sub-action 13: Red"),
    ({}, "sub_statuses", "(none)"),
    ({"short_name": "MPS", "active": True}, None, "Short name: MPS; Active: Yes"),
    ("Line one\nline two", "commentary", "Line one\nline two"),
])
def test_plain_value(value, key, expected):
    assert plain_value(value, key) == expected


@pytest.mark.parametrize("value", [
    ["B2", "B8"], [None, None, None, None], {"1": "green"}, None, True, 2019, 0.123456789,
])
def test_no_python_syntax_leaks(value):
    text = plain_value(value, "x")
    assert not any(mark in text for mark in ("[", "]", "{", "}", "None", "True", "False", "'"))


@pytest.mark.parametrize("key, expected", [
    ("review_comment", "Review comment"),
    ("sub_statuses", "Sub-action statuses"),
    ("opens_on", "Window opens"),
    ("commentary", "Commentary"),
    ("some_new_field", "Some new field"),
])
def test_field_name(key, expected):
    assert field_name(key) == expected


@pytest.mark.parametrize("entity, expected", [
    ("action_update", "Action update"),
    ("reporting_period", "Quarter (reporting period)"),
    ("something_else", "Something else"),
])
def test_object_name(entity, expected):
    assert object_name(entity) == expected


@pytest.mark.parametrize("old, new, expected", [
    (None, None, []),
    ({"status": "amber"}, {"status": "green"}, [Change("Status", "Amber", "Green")]),
    (None, {"name": "MPS"}, [Change("Name", "(empty)", "MPS")]),
    ({"locked": True, "reason": "x"}, {"locked": False},
     [Change("Locked", "Yes", "No"), Change("Reason", "x", "(empty)")]),
    ({"a": 1}, {"b": 2}, [Change("A", "1", "(empty)"), Change("B", "(empty)", "2")]),
])
def test_changes(old, new, expected):
    assert changes(old, new) == expected


def test_changes_text_is_one_line_per_event():
    assert changes_text({"status": "amber", "state": "draft"}, {"status": "green", "state": "submitted"}) == (
        "Status: Amber -> Green; State: Draft -> Submitted")

"""Page numbers: what a query string may ask for and which links show."""

import pytest

from app.audit.paging import last_page, page_items, parse_page


@pytest.mark.parametrize("total, per_page, expected", [(0, 50, 1), (1, 50, 1), (50, 50, 1), (51, 50, 2), (500, 50, 10)])
def test_last_page(total, per_page, expected):
    assert last_page(total, per_page) == expected


@pytest.mark.parametrize("text, last, expected", [
    (None, 3, 1), ("", 3, 1), ("1", 3, 1), ("3", 3, 3),
    ("4", 3, None), ("0", 3, None), ("-1", 3, None), ("+2", 3, None), ("abc", 3, None),
    ("1.5", 3, None), (" 2", 3, None), ("２", 3, None), ("99999999999999999999", 3, None), ("1", 1, 1),
])
def test_parse_page(text, last, expected):
    assert parse_page(text, last) == expected


@pytest.mark.parametrize("current, last, expected", [
    (1, 1, [1]),
    (1, 3, [1, 2, 3]),
    (1, 10, [1, 2, 3, None, 10]),
    (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),
    (6, 10, [1, None, 4, 5, 6, 7, 8, 9, 10]),
    (6, 20, [1, None, 4, 5, 6, 7, 8, None, 20]),
    (10, 10, [1, None, 8, 9, 10]),
    (4, 10, [1, 2, 3, 4, 5, 6, None, 10]),
])
def test_page_items(current, last, expected):
    assert page_items(current, last) == expected

from datetime import date

import pytest

from app.strategy.quarters import (
    BANK_HOLIDAYS,
    Quarter,
    QuarterError,
    add_working_days,
    financial_year_label,
    strategy_quarters,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-20-Q2", Quarter(2019, 2)),
        ("2019/20 Q2", Quarter(2019, 2)),
        ("2019-20-q2", Quarter(2019, 2)),
        ("  2019/20 q4 \n", Quarter(2019, 4)),
        ("2019/2020 Q1", Quarter(2019, 1)),
        ("2099-00-Q3", Quarter(2099, 3)),
        ("2018/19-Q1", Quarter(2018, 1)),
    ],
)
def test_parse_accepts_screen_and_url_forms(text, expected):
    assert Quarter.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a quarter like 2019-20-Q2"),
        ("   ", "Enter a quarter like 2019-20-Q2"),
        ("Q2", "Enter a quarter like 2019-20-Q2"),
        ("2019 Q2", "Enter a quarter like 2019-20-Q2"),
        ("2019-20", "Enter a quarter like 2019-20-Q2"),
        ("last quarter", "Enter a quarter like 2019-20-Q2"),
        ("2019-20-Q2; drop table", "Enter a quarter like 2019-20-Q2"),
        (None, "Enter a quarter like 2019-20-Q2"),
        ("2019-21-Q2", "two consecutive years, like 2019/20"),
        ("2019/2021 Q2", "two consecutive years, like 2019/20"),
        ("2020-19-Q1", "two consecutive years, like 2020/21"),
        ("2019-20-Q0", "quarter number from 1 to 4"),
        ("2019-20-Q5", "quarter number from 1 to 4"),
        ("2019-20-Q12", "quarter number from 1 to 4"),
    ],
)
def test_parse_rejects_with_a_message_saying_what_to_enter(text, message):
    with pytest.raises(QuarterError, match=message):
        Quarter.parse(text)


def test_quarter_error_is_a_value_error_so_generic_handlers_catch_it():
    with pytest.raises(ValueError):
        Quarter(2019, 5)


@pytest.mark.parametrize(("year", "number"), [(2019, 0), (2019, 5), (2019, -1), (2019, True)])
def test_constructor_rejects_impossible_quarter_numbers(year, number):
    with pytest.raises(QuarterError, match="quarter number from 1 to 4"):
        Quarter(year, number)


@pytest.mark.parametrize(
    ("quarter", "slug", "label", "fy_label"),
    [
        (Quarter(2019, 2), "2019-20-Q2", "2019/20 Q2", "2019/20"),
        (Quarter(2018, 1), "2018-19-Q1", "2018/19 Q1", "2018/19"),
        (Quarter(2021, 4), "2021-22-Q4", "2021/22 Q4", "2021/22"),
        (Quarter(2099, 1), "2099-00-Q1", "2099/00 Q1", "2099/00"),
        (Quarter(2009, 3), "2009-10-Q3", "2009/10 Q3", "2009/10"),
    ],
)
def test_slug_and_label_round_trip(quarter, slug, label, fy_label):
    assert (quarter.slug, quarter.label, quarter.fy_label, str(quarter)) == (slug, label, fy_label, label)
    assert Quarter.parse(slug) == quarter
    assert Quarter.parse(label) == quarter


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2019, 3, 31), Quarter(2018, 4)),
        (date(2019, 4, 1), Quarter(2019, 1)),
        (date(2019, 6, 30), Quarter(2019, 1)),
        (date(2019, 7, 1), Quarter(2019, 2)),
        (date(2019, 9, 30), Quarter(2019, 2)),
        (date(2019, 10, 1), Quarter(2019, 3)),
        (date(2019, 12, 31), Quarter(2019, 3)),
        (date(2020, 1, 1), Quarter(2019, 4)),
        (date(2020, 2, 15), Quarter(2019, 4)),
        (date(2020, 2, 29), Quarter(2019, 4)),
    ],
)
def test_containing_puts_boundary_days_in_the_right_quarter(day, expected):
    assert Quarter.containing(day) == expected


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [
        (Quarter(2019, 1), date(2019, 4, 1), date(2019, 6, 30)),
        (Quarter(2019, 2), date(2019, 7, 1), date(2019, 9, 30)),
        (Quarter(2019, 3), date(2019, 10, 1), date(2019, 12, 31)),
        (Quarter(2019, 4), date(2020, 1, 1), date(2020, 3, 31)),
    ],
)
def test_start_and_end_cover_the_quarter_and_contain_themselves(quarter, start, end):
    assert (quarter.start, quarter.end) == (start, end)
    assert Quarter.containing(quarter.start) == quarter
    assert Quarter.containing(quarter.end) == quarter


@pytest.mark.parametrize(
    ("quarter", "previous", "following"),
    [
        (Quarter(2019, 4), Quarter(2019, 3), Quarter(2020, 1)),
        (Quarter(2020, 1), Quarter(2019, 4), Quarter(2020, 2)),
        (Quarter(2019, 2), Quarter(2019, 1), Quarter(2019, 3)),
    ],
)
def test_previous_and_next_cross_the_financial_year_boundary(quarter, previous, following):
    assert quarter.previous() == previous
    assert quarter.next() == following
    assert quarter.next().previous() == quarter


@pytest.mark.parametrize(
    ("quarter", "last_year"),
    [(Quarter(2019, 2), Quarter(2018, 2)), (Quarter(2019, 4), Quarter(2018, 4))],
)
def test_same_quarter_last_year_is_the_long_term_comparator(quarter, last_year):
    assert quarter.same_quarter_last_year() == last_year


def test_year_quarters_lists_q1_to_q4_of_the_same_financial_year():
    assert [q.label for q in Quarter(2019, 3).year_quarters()] == [
        "2019/20 Q1",
        "2019/20 Q2",
        "2019/20 Q3",
        "2019/20 Q4",
    ]


@pytest.mark.parametrize(
    ("earlier", "later"),
    [(Quarter(2019, 4), Quarter(2020, 1)), (Quarter(2019, 1), Quarter(2019, 2))],
)
def test_quarters_sort_in_time_order(earlier, later):
    assert earlier < later
    assert sorted([later, earlier]) == [earlier, later]


@pytest.mark.parametrize(
    ("first", "last", "count", "first_label", "last_label"),
    [
        (2018, 2021, 16, "2018/19 Q1", "2021/22 Q4"),
        (2019, 2019, 4, "2019/20 Q1", "2019/20 Q4"),
    ],
)
def test_strategy_quarters_cover_every_year_in_order(first, last, count, first_label, last_label):
    quarters = strategy_quarters(first, last)
    assert len(quarters) == count
    assert (quarters[0].label, quarters[-1].label) == (first_label, last_label)
    assert quarters == sorted(quarters)
    assert all(a.next() == b for a, b in zip(quarters, quarters[1:], strict=False))


def test_strategy_quarters_is_empty_when_the_years_are_reversed():
    assert strategy_quarters(2021, 2018) == []


@pytest.mark.parametrize(
    ("year", "label"),
    [(2018, "2018/19"), (2019, "2019/20"), (2099, "2099/00"), (2000, "2000/01")],
)
def test_financial_year_label(year, label):
    assert financial_year_label(year) == label


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        # Easter 2019: Good Friday 19 Apr and Easter Monday 22 Apr.
        (date(2019, 4, 18), 1, date(2019, 4, 23)),
        (date(2019, 4, 17), 2, date(2019, 4, 23)),
        (date(2019, 4, 20), 1, date(2019, 4, 23)),
        # Christmas 2019: Wed 25 and Thu 26 Dec, then New Year's Day.
        (date(2019, 12, 24), 1, date(2019, 12, 27)),
        (date(2019, 12, 23), 5, date(2020, 1, 2)),
        # The moved and one-off holidays.
        (date(2020, 5, 7), 1, date(2020, 5, 11)),
        (date(2022, 6, 1), 1, date(2022, 6, 6)),
        (date(2022, 9, 16), 1, date(2022, 9, 20)),
        # Plain weeks.
        (date(2019, 7, 5), 1, date(2019, 7, 8)),
        (date(2019, 7, 1), 10, date(2019, 7, 15)),
        (date(2019, 7, 6), 0, date(2019, 7, 6)),
    ],
)
def test_add_working_days_skips_weekends_and_bank_holidays(day, n, expected):
    assert add_working_days(day, n) == expected


def test_add_working_days_rejects_a_negative_count():
    with pytest.raises(ValueError):
        add_working_days(date(2019, 7, 1), -1)


@pytest.mark.parametrize("year", range(2018, 2024))
def test_bank_holiday_table_has_every_year_and_only_weekdays(year):
    in_year = sorted(day for day in BANK_HOLIDAYS if day.year == year)
    # Eight a year in England and Wales, plus the 2022 Jubilee and state funeral and the 2023 Coronation.
    assert len(in_year) == {2022: 10, 2023: 9}.get(year, 8)
    assert all(day.weekday() < 5 for day in in_year)

"""Reading a comparator CSV: each row checked, each problem named by row, column and what to do. Pure."""

import csv
import io
import math
from dataclasses import dataclass
from datetime import date

COLUMNS = ("indicator", "group", "area", "period", "value", "numerator", "denominator", "source", "published")
MAX_ROWS = 5000
LIMITS = {"group": 100, "area": 100, "period": 20, "source": 200}


@dataclass(frozen=True)
class Row:
    number: int  # the row's line in the file, counting the header as 1
    indicator: str
    group: str
    area: str
    period: str
    value: float | None
    numerator: int | None
    denominator: int | None
    source: str
    published: date

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.indicator, self.group, self.area, self.period)


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str


def _number(text: str) -> float | None:
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _whole(text: str) -> int | None:
    number = _number(text)
    return int(number) if number is not None and number == int(number) and 0 <= number < 2**63 else None


def read(text: str, indicators: dict[str, str], today: date) -> tuple[list[Row], list[Problem]]:
    """The file's rows and its problems; `indicators` maps each known code to its unit."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header and c not in ("value", "numerator", "denominator")]
    if not header:
        return [], [Problem(1, "", "The file is empty: it needs a header row naming the columns")]
    if missing:
        return [], [Problem(1, ", ".join(missing), f"Add the column{'s' if len(missing) > 1 else ''} "
                                                   f"{', '.join(missing)} to the header row")]
    reader.fieldnames = header
    rows: list[Row] = []
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            problems.append(Problem(number, "", f"The file has more than {MAX_ROWS} rows: split it"))
            break
        cells = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(cells.values()):
            continue
        found = _check(number, cells, indicators, today, problems)
        if found is None:
            continue
        if found.key in seen:
            problems.append(Problem(number, "area", f"Row {seen[found.key]} already gives {found.area}'s "
                                                    f"{found.indicator} for {found.period}: keep one"))
            continue
        seen[found.key] = number
        rows.append(found)
    return rows, problems


def _check(number: int, cells: dict, indicators: dict[str, str], today: date,
           problems: list[Problem]) -> Row | None:
    before = len(problems)

    def problem(column: str, message: str) -> None:
        problems.append(Problem(number, column, message))

    code = cells.get("indicator", "").upper()
    if not code:
        problem("indicator", "Enter the indicator's code, like DV05")
    elif code not in indicators:
        problem("indicator", f"{code} is not an indicator in the catalogue")
    for column in ("group", "area", "period", "source"):
        if not cells.get(column):
            problem(column, f"Enter the {column}")
        elif len(cells[column]) > LIMITS[column]:
            problem(column, f"Keep the {column} to {LIMITS[column]} characters or fewer")
    value_text, num_text, den_text = cells.get("value", ""), cells.get("numerator", ""), cells.get("denominator", "")
    value = numerator = denominator = None
    if value_text and (num_text or den_text):
        problem("value", "Give a value or a numerator and denominator, not both")
    elif value_text:
        value = _number(value_text)
        if value is None or value < 0:
            problem("value", "Enter the value as a number of 0 or more, like 12.5")
        elif indicators.get(code) == "percentage" and value > 100:
            problem("value", "A percentage must be from 0 to 100")
    elif num_text or den_text:
        numerator, denominator = _whole(num_text), _whole(den_text)
        if numerator is None:
            problem("numerator", "Enter the numerator as a whole number of 0 or more")
        if denominator is None or denominator == 0:
            problem("denominator", "Enter the denominator as a whole number above 0")
        elif numerator is not None and numerator > denominator:
            problem("numerator", "The numerator cannot be more than the denominator")
    else:
        problem("value", "Enter a value, or a numerator and denominator")
    published = None
    try:
        published = date.fromisoformat(cells.get("published", ""))
        if published > today:
            problem("published", "The publication date cannot be in the future")
    except ValueError:
        problem("published", "Enter the publication date as YYYY-MM-DD, like 2019-07-31")
    if len(problems) > before:
        return None
    return Row(number, code, cells["group"], cells["area"], cells["period"], value, numerator, denominator,
               cells["source"], published)

"""Page numbers for long listings (pure): which page a query string asks for, and which links to show."""

import math

WINDOW = 2  # pages either side of the current one before the links collapse into an ellipsis


def last_page(total: int, per_page: int) -> int:
    """The number of the last page; an empty listing still has page 1."""
    return max(1, math.ceil(total / per_page))


def parse_page(text: str | None, last: int) -> int | None:
    """The page asked for, or None when it is not a page of this listing.

    None or "" means page 1. Only plain digits count: "-1", "+2", "1.5", " 2", "abc" and "0" are
    refused, as is a page after the last.
    """
    if text is None or text == "":
        return 1
    if not (text.isascii() and text.isdigit()):
        return None
    page = int(text)
    return page if 1 <= page <= last else None


def page_items(current: int, last: int) -> list[int | None]:
    """The page numbers to link, first and last always, None where numbers are left out."""
    shown = sorted({1, last} | {p for p in range(current - WINDOW, current + WINDOW + 1) if 1 <= p <= last})
    items: list[int | None] = []
    for page in shown:
        if items and page - items[-1] == 2:
            items.append(page - 1)  # an ellipsis standing for one page would hide no more than a number
        elif items and page - items[-1] > 2:
            items.append(None)
        items.append(page)
    return items

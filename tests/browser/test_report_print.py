"""The HCSP report as the board prints it: Chromium's A4 PDF of the demo quarter, read back as text.

Expected codes, headers and captions are taken from the page and the data, not from the demo's numbers,
so the checks hold whatever the demo generator produces.
"""

import io
import re

import pdfplumber
import pytest
from playwright.sync_api import expect

from app.reports import service
from app.strategy import service as calendar
from tests.browser.conftest import browser_login
from tests.integration.report_helpers import load_demo_data

# The demo quarter prints in about 6 pages today (a year of demo updates, 8 exceptions, 30 indicators,
# 6 headline charts); the budget leaves room for a busier demo quarter while still catching a layout that
# puts one exception, or one table row, on a page of its own (18 pages before the print stylesheet).
PAGE_BUDGET = 10
_EDGE_PUNCTUATION = ":;,.()\"'"


def _demo_quarter():
    """The latest quarter up to the current one that has exceptions to print (else the current one)."""
    current = calendar.current_quarter()
    for quarter in reversed([q for q in calendar.quarters() if q <= current]):
        if service.report(quarter).exceptions:
            return quarter
    return current


def _read(pdf_bytes: bytes) -> tuple[list[set[str]], str]:
    """Each page's whole words (edge punctuation stripped), and the document's text with spaces collapsed."""
    pages, texts = [], []
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            pages.append({w["text"].strip(_EDGE_PUNCTUATION) for w in page.extract_words()})
            texts.append(page.extract_text() or "")
    return pages, re.sub(r"\s+", " ", " ".join(texts))


@pytest.mark.parametrize("audience", [service.PARTNERSHIP, service.PUBLISHED])
def test_the_printed_report_fits_a4_within_the_page_budget(page, live_server, live_app, make_user, audience):
    load_demo_data()
    quarter = _demo_quarter()
    data = service.report(quarter, audience)
    browser_login(page, live_server, make_user("coordinator"))
    page.goto(f"{live_server}/reports/{quarter.slug}?audience={audience}")

    button = page.get_by_role("button", name="Print or save as PDF")
    expect(button).to_be_visible()
    page.evaluate("window.print = () => { window.appPrinted = true; }")
    button.click()
    assert page.evaluate("window.appPrinted") is True

    headers = {t.strip() for t in page.locator("table th[scope=col]").all_inner_texts() if t.strip()}
    captions = [t.strip() for t in page.locator("caption, figcaption").all_inner_texts() if t.strip()]
    assert "Total" in headers and "Since same quarter last year" in headers

    page.emulate_media(media="print")
    pages, text = _read(page.pdf(format="A4", prefer_css_page_size=True, print_background=True))
    words = set().union(*pages)

    assert len(pages) <= PAGE_BUDGET, f"{len(pages)} pages printed; the budget is {PAGE_BUDGET}"
    clipped = {h: [w for w in h.split() if w not in words] for h in headers}
    assert not {h: missing for h, missing in clipped.items() if missing}, "column headers cut off"
    for caption in captions:
        assert re.sub(r"\s+", " ", caption) in text, f"caption cut: {caption}"
    actions = [r.action.code for r in data.exceptions + data.completions]
    assert [code for code in actions if code not in words] == []
    assert [line.indicator.code for line in data.indicators if line.indicator.code not in words] == []
    if len(data.exceptions) >= 3:
        # Exceptions run on from one to the next: never one to a page.
        on_pages = {
            i for code in (r.action.code for r in data.exceptions) for i, found in enumerate(pages) if code in found
        }
        assert len(on_pages) < len(data.exceptions)

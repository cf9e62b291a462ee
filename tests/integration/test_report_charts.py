"""The report page's chart images: built from one indicator's line, never from a rebuilt report."""

import html
import re

import pytest

from app.extensions import db
from app.kpis import charts
from app.reports import service
from tests.integration.report_helpers import Q4_2018, load_demo_data, set_value

URL = f"/reports/{Q4_2018.slug}"


@pytest.fixture
def demo(app):
    load_demo_data()


@pytest.fixture
def report_builds(monkeypatch):
    """A list that gets one entry each time the whole report is gathered."""
    calls = []
    real = service.report

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "report", counted)
    return calls


def _chart_urls(page: str) -> list[str]:
    return [html.unescape(src) for src in re.findall(r'<img src="([^"]+/charts/[^"]+)"', page)]


@pytest.mark.parametrize("audience", ["partnership", "published"])
def test_a_page_view_and_its_charts_gather_the_report_once(demo, login, report_builds, audience):
    client = login("viewer")
    page = client.get(f"{URL}?audience={audience}").get_data(as_text=True)
    urls = _chart_urls(page)
    assert len(urls) >= 2  # the demo has several headline indicators
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert len(report_builds) == 1


def test_a_saved_value_shows_in_the_chart_on_the_next_request(demo, login):
    client = login("viewer")
    line = service.report(Q4_2018).headline_indicators[0]
    url = f"{URL}/charts/{line.indicator.code}.svg"
    before = client.get(url).data
    assert client.get(url).data == before  # unchanged data, the same image
    set_value(line.indicator.code, Q4_2018, 987.0)
    db.session.commit()
    after = client.get(url).data
    assert after != before
    fresh = service.report(Q4_2018).headline_indicators[0]
    assert after == charts.chart_svg(fresh.indicator.name, fresh.indicator.unit, fresh.chart)


@pytest.mark.parametrize("audience", ["partnership", "published"])
def test_one_indicator_line_is_the_line_the_whole_report_has(demo, audience):
    data = service.report(Q4_2018, audience)
    for line in data.indicators:
        alone = service.indicator_line(Q4_2018, audience, line.indicator.code.lower())
        assert (alone.cells, alone.year_to_date, alone.chart, alone.rag, alone.short_term, alone.long_term) == (
            line.cells,
            line.year_to_date,
            line.chart,
            line.rag,
            line.short_term,
            line.long_term,
        ), line.indicator.code
    assert service.indicator_line(Q4_2018, audience, "XX99") is None


def test_an_unknown_chart_is_not_found(demo, login):
    assert login("viewer").get(f"{URL}/charts/XX99.svg").status_code == 404

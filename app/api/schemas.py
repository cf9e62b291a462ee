"""The read API's query parameters and responses, as marshmallow schemas.

flask-smorest (with apispec) builds the OpenAPI document from these same schemas, so the document
cannot drift from what the views accept and return; the tests validate every response against it.
"""

import marshmallow as ma
from marshmallow import fields, validate

from app.reports.service import AUDIENCES

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50


class PageArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000),
                          metadata={"description": "Page number, from 1"})
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"Items per page, 1 to {MAX_PER_PAGE}"})


class QuarterArgs(PageArgs):
    quarter = fields.String(load_default=None, validate=validate.Length(max=20),
                            metadata={"description": "A quarter such as 2019-20-Q2; default: the latest "
                                                     "public quarter (anonymous) or the current quarter (token)"})


class IndicatorArgs(QuarterArgs):
    audience = fields.String(load_default=None, validate=validate.OneOf(AUDIENCES),
                             metadata={"description": "published (default: small numbers suppressed) or "
                                                      "partnership (true values: coordinator and admin tokens only)"})


class Links(ma.Schema):
    self = fields.String(required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    next = fields.String(required=True, allow_none=True)
    prev = fields.String(required=True, allow_none=True)


class Paged(ma.Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    links = fields.Nested(Links, required=True)


class Quarter(ma.Schema):
    slug = fields.String(required=True, metadata={"example": "2019-20-Q2"})
    label = fields.String(required=True)
    locked = fields.Boolean(required=True)
    public = fields.Boolean(required=True, metadata={"description": "published on the public progress page"})


class QuarterPage(Paged):
    items = fields.List(fields.Nested(Quarter), required=True)


class Objective(ma.Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)


class Strategy(ma.Schema):
    name = fields.String(required=True)
    first_year = fields.Integer(required=True, metadata={"description": "first financial year's start"})
    last_year = fields.Integer(required=True)
    objectives = fields.List(fields.Nested(Objective), required=True)


class Action(ma.Schema):
    code = fields.String(required=True)
    title = fields.String(required=True)
    objective = fields.String(required=True)
    objective_title = fields.String(required=True)
    leads = fields.List(fields.String(), required=True, metadata={"description": "lead agencies"})
    timescale = fields.String(required=True, allow_none=True)
    due_date = fields.Date(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"description": "partnership status, as text"})
    status_code = fields.String(required=True)
    previous_status = fields.String(required=True)
    movement = fields.String(required=True)
    overdue = fields.Boolean(required=True)


class ActionPage(Paged):
    quarter = fields.String(required=True)
    items = fields.List(fields.Nested(Action), required=True)


# A figure is a number, a suppression mark ("<5", "[c]") or null when nothing was reported: apispec
# adds the "null" for allow_none itself.


class Indicator(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    polarity = fields.String(required=True)
    headline = fields.Boolean(required=True)
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True,
                         metadata={"type": ["number", "string"]}),
                         required=True, metadata={"description": "by quarter slug"})
    year_to_date = fields.Raw(required=True, allow_none=True, metadata={"type": ["number", "string"]})
    year_to_date_note = fields.String(required=True)
    target = fields.Raw(required=True, allow_none=True, metadata={"type": ["number", "string"]})
    rag = fields.String(required=True, metadata={"description": "rating, as text"})
    short_term = fields.String(required=True, metadata={"description": "direction since last quarter"})
    long_term = fields.String(required=True, metadata={"description": "direction since a year ago"})


class Suppressed(ma.Schema):
    primary = fields.Integer(required=True)
    secondary = fields.Integer(required=True)


class IndicatorPage(Paged):
    quarter = fields.String(required=True)
    audience = fields.String(required=True)
    suppressed = fields.Nested(Suppressed, required=True)
    items = fields.List(fields.Nested(Indicator), required=True)


class Problem(ma.Schema):
    """An error, as RFC 9457 application/problem+json."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)

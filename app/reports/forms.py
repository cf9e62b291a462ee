"""Forms of the reports feature. Forms validate; they never write."""

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from app.forms import FlaskForm  # refuses control characters and oversized numbers
from app.reports.service import PARTNERSHIP, PUBLISHED

AUDIENCE_CHOICES = [
    SelectChoice(PARTNERSHIP, "Partnership version: true values"),
    SelectChoice(PUBLISHED, "Published version: small numbers suppressed"),
]


class ReportOptionsForm(FlaskForm):
    """Which quarter and audience to show; a GET form, so it carries no CSRF token and changes nothing."""

    class Meta:
        csrf = False

    quarter = SelectField("Quarter", choices=[], widget=GovSelect())
    audience = RadioField("Version", choices=AUDIENCE_CHOICES, default=PARTNERSHIP, widget=GovRadioInput())

"""Forms of spreadsheet returns. Forms validate; they never write."""

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSelect, GovSubmitInput
from wtforms import HiddenField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from app.forms import FlaskForm  # refuses control characters and oversized numbers

SUBMIT, DRAFT = "submit", "draft"


class WorkbookUploadForm(FlaskForm):
    """A filled-in return workbook, and whether its rows are submitted or saved as drafts."""

    file = FileField("Upload the filled-in workbook", widget=GovFileInput(),
                     validators=[FileRequired("Select the workbook to upload")])
    choice = RadioField(
        "What should the upload do with the action updates?", widget=GovRadioInput(),
        choices=[SelectChoice(SUBMIT, "Submit them for review"), SelectChoice(DRAFT, "Save them as drafts")],
        validators=[InputRequired("Select whether to submit the updates or save them as drafts")])
    upload = SubmitField("Upload and preview", widget=GovSubmitInput())

    @property
    def submitting(self) -> bool:
        return self.choice.data == SUBMIT


class ValuesUploadForm(FlaskForm):
    """A CSV or xlsx of indicator values: code, quarter, and value or numerator and denominator."""

    file = FileField("Upload a CSV or Excel file of values", widget=GovFileInput(),
                     validators=[FileRequired("Select the file of values to upload")])
    upload = SubmitField("Upload and preview", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """Confirms a previewed upload; the token carries the rows (app.returns_io.service)."""

    token = HiddenField(validators=[InputRequired("This preview could not be found: upload the file again")])
    confirm = SubmitField("Save these changes", widget=GovSubmitInput())


class PickForm(FlaskForm):
    """The coordinator picks an agency and a quarter; in the query string, so no CSRF."""

    class Meta:
        csrf = False

    agency = SelectField("Agency", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    quarter = SelectField("Quarter", widget=GovSelect(), validators=[Optional()], validate_choice=False)

"""The comparator import: a file to check, then the checked file to confirm."""

from flask_wtf.file import FileField, FileRequired, FileSize
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import HiddenField, SubmitField
from wtforms.validators import InputRequired, Length

from app.forms import FlaskForm

MAX_BYTES = 1024 * 1024


class UploadForm(FlaskForm):
    file = FileField("Comparator file (CSV)", widget=GovFileInput(),
                     description="Columns: indicator, group, area, period, value (or numerator and denominator), "
                                 "source, published (YYYY-MM-DD). One row per area.",
                     validators=[FileRequired(message="Select a CSV file to check"),
                                 FileSize(MAX_BYTES, message="The file must be 1 MB or smaller")])
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """The checked file travels back with the confirmation (base64, so its lines survive a hidden field) and
    is checked again before anything is saved."""

    content = HiddenField(validators=[InputRequired(), Length(max=MAX_BYTES * 4 // 3 + 4)])
    filename = HiddenField(validators=[Length(max=200)])
    confirm = SubmitField("Import these figures", widget=GovSubmitInput())

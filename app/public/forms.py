"""The coordinator's publication form for one locked quarter."""

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import HiddenField, IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms import FlaskForm
from app.public.service import SUMMARY_MAX


class PublicationForm(FlaskForm):
    published = RadioField(
        "Show this quarter on the public progress page?", widget=GovRadioInput(),
        choices=[SelectChoice("yes", "Yes, publish it"), SelectChoice("no", "No, keep it off the public page")],
        validators=[InputRequired(message="Select whether to publish this quarter")])
    summary = TextAreaField(
        "Public summary (optional)", widget=GovTextArea(),
        description="The only commentary the public page shows. Write it for residents: no names, no case "
                    "details, nothing marked internal.",
        validators=[Optional(), Length(max=SUMMARY_MAX,
                                       message=f"Keep the summary to {SUMMARY_MAX} characters or fewer")])
    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    submit = SubmitField("Save publication", widget=GovSubmitInput())

"""Forms for managing users, agencies and settings."""

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length

from app.auth.models import Role
from app.forms import FlaskForm  # refuses control characters and oversized numbers


def strip(value: str | None) -> str | None:
    """Pasted addresses often carry spaces; they are never meaningful."""
    return value.strip() if isinstance(value, str) else value


ROLE_CHOICES = [SelectChoice(r.value, r.label) for r in Role]


class UserForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), filters=[strip], validators=[
        DataRequired("Enter an email address"),
        Email("Enter an email address in the correct format, like name@havering.gov.uk"),
        Length(max=254, message="Email address must be 254 characters or fewer")])
    name = StringField("Full name", widget=GovTextInput(), validators=[
        DataRequired("Enter the person's name"), Length(max=120, message="Name must be 120 characters or fewer")])
    role = RadioField("Role", choices=ROLE_CHOICES, widget=GovRadioInput(),
                      validators=[InputRequired("Select a role")])
    agency = SelectField("Agency", widget=GovSelect(), validators=[DataRequired("Select the person's agency")],
                         coerce=str)
    active = BooleanField("Account can sign in", widget=GovCheckboxInput(), default=True)
    version = IntegerField(widget=HiddenField.widget, default=0)
    submit = SubmitField("Save account", widget=GovSubmitInput())


class AgencyForm(FlaskForm):
    name = StringField("Agency name", widget=GovTextInput(), validators=[
        DataRequired("Enter the agency's name"), Length(max=200, message="Name must be 200 characters or fewer")])
    short_name = StringField("Short name", description="Shown in tables, for example 'Police'.",
                             widget=GovTextInput(), validators=[
        DataRequired("Enter a short name"), Length(max=40, message="Short name must be 40 characters or fewer")])
    active = BooleanField("Agency is active", widget=GovCheckboxInput(), default=True)
    version = IntegerField(widget=HiddenField.widget, default=0)
    submit = SubmitField("Save agency", widget=GovSubmitInput())


class CurrentQuarterForm(FlaskForm):
    quarter = SelectField("Quarter leads are asked to update", widget=GovSelect(),
                          validators=[DataRequired("Select a quarter")])
    submit = SubmitField("Save", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button that only confirms an action; its CSRF token is what it checks."""

    submit = SubmitField("Reset password", widget=GovSubmitInput())

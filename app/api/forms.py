from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.api.tokens import DEFAULT_DAYS, MAX_DAYS, NAME_MAX
from app.forms import FlaskForm


class TokenForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(), description="So you can tell your tokens apart, for example "
                       "\"Power BI on my laptop\"",
                       validators=[DataRequired("Enter a name for the token"),
                                   Length(max=NAME_MAX, message=f"Name must be {NAME_MAX} characters or fewer")])
    days = IntegerField("Days until it expires", widget=GovTextInput(), default=DEFAULT_DAYS,
                        description=f"From 1 to {MAX_DAYS}",
                        validators=[InputRequired(f"Enter a number of days from 1 to {MAX_DAYS}"),
                                    NumberRange(1, MAX_DAYS, f"Enter a number of days from 1 to {MAX_DAYS}")])
    submit = SubmitField("Create token", widget=GovSubmitInput())

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import FlaskForm  # refuses control characters and oversized numbers


class LoginForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[DataRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[DataRequired("Enter your password"), Length(max=200)])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class LogoutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class CodeForm(FlaskForm):
    code = StringField("Security code", widget=GovTextInput(), filters=[_strip],
                       description="The 6-digit code from your authenticator app, or one of your recovery codes.",
                       validators=[DataRequired("Enter the security code"), Length(max=20)])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnrolForm(FlaskForm):
    code = StringField("Code from the app", widget=GovTextInput(), filters=[_strip],
                       description="The 6 digits the app shows for this account.",
                       validators=[DataRequired("Enter the 6-digit code from your authenticator app"), Length(max=20)])
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(), filters=[_strip],
                       validators=[DataRequired("Enter your email address"), Length(max=254)])
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


def _matches(form, field) -> None:
    if field.data != form.password.data:
        raise ValidationError("Enter the same password twice")


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", widget=GovPasswordInput(),
                             description="At least 12 characters. Three random words make a good one.",
                             validators=[DataRequired("Enter a new password")])
    confirm = PasswordField("Confirm the new password", widget=GovPasswordInput(),
                            validators=[DataRequired("Enter the new password again"), _matches])
    submit = SubmitField("Save password", widget=GovSubmitInput())


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField("Current password", widget=GovPasswordInput(),
                            validators=[DataRequired("Enter your current password"), Length(max=200)])


class ButtonForm(FlaskForm):
    """A button that only confirms an action; its CSRF token is what it checks."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())

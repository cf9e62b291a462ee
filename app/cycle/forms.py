"""Forms of the quarterly cycle. Forms validate; they never write."""

from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import DateField, HiddenField, IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from app.cycle.service import REASON_LIMIT
from app.forms import FlaskForm  # refuses control characters and oversized numbers

_VERSION = [InputRequired("The form is missing its version: reload the page")]


def _reason_area(label: str, what: str, *, description: str = "", required: str | None = None) -> TextAreaField:
    """A free-text box of at most REASON_LIMIT characters (`what` names it in the message); `required` is
    the message for a blank one, None where it may be left blank."""
    validators = [InputRequired(required)] if required else []
    validators.append(Length(max=REASON_LIMIT, message=f"{what} must be {REASON_LIMIT} characters or fewer"))
    return TextAreaField(label, widget=GovTextArea(), description=description, validators=validators)


def _date(label: str, example: str, what: str) -> DateField:
    """A GOV.UK date input (day, month, year) whose blank message asks for `what`."""
    return DateField(label, format="%d %m %Y", widget=GovDateInput(), description=f"For example, {example}",
                     validators=[InputRequired(f"Enter {what}")])


class PeriodDatesForm(FlaskForm):
    opens_on = _date("Window opens", "16 9 2019", "the date the window opens")
    deadline = _date("Deadline", "21 10 2019", "the deadline")
    version = IntegerField(widget=HiddenField.widget, validators=_VERSION)
    save_dates = SubmitField("Save dates", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, what in (("opens_on", "the date the window opens"), ("deadline", "the deadline")):
            field = getattr(self, name)
            # WTForms' own message ("Not a valid date value.") does not say what to do.
            if field.errors and field.data is None and any("valid" in e for e in field.errors):
                field.errors[:] = [f"Enter {what} as a real date, like 21 10 2019"]
        if ok and self.deadline.data <= self.opens_on.data:
            self.deadline.errors.append("The deadline must be after the date the window opens")
            ok = False
        return ok


class ReviewForm(FlaskForm):
    decision = RadioField(
        "Your decision",
        choices=[SelectChoice("accept", "Accept"), SelectChoice("return", "Return to the agency")],
        widget=GovRadioInput(),
        validators=[InputRequired("Select accept or return")],
    )
    comment = _reason_area("Comment for the agency", "Comment",
                           description="Required when you return it: say what needs to change.")
    version = IntegerField(widget=HiddenField.widget, validators=_VERSION)
    save_review = SubmitField("Save decision", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.decision.data == "return" and not (self.comment.data or "").strip():
            self.comment.errors.append("Enter a comment saying what needs to change")
            ok = False
        return ok


class LockForm(FlaskForm):
    reason = _reason_area("Reason for closing with returns missing", "Reason",
                          description="Required unless every return has been accepted.")
    version = IntegerField(widget=HiddenField.widget, validators=_VERSION)
    lock_quarter = SubmitField("Lock the quarter", widget=GovSubmitInput())


class ReopenForm(FlaskForm):
    reopen_reason = _reason_area("Reason for re-opening", "Reason",
                                 required="Enter the reason for re-opening the quarter")
    version = IntegerField(widget=HiddenField.widget, validators=_VERSION)
    reopen = SubmitField("Re-open the quarter", widget=GovSubmitInput())


class BulkAcceptForm(FlaskForm):
    """The confirmation of a bulk accept: its CSRF token; the returns and their versions are read by the view
    (`item` repeated, `version-<item>` each), as the tracker's checkboxes name them."""

    accept_all = SubmitField("Accept these returns", widget=GovSubmitInput())

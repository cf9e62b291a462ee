"""The audit trail's filters. Forms validate; they never write."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect
from wtforms import DateField, HiddenField, IntegerField, SelectField
from wtforms.validators import Optional

FILTER_FIELDS = ("person", "agency", "object", "object_id", "start", "end")


class DayField(DateField):
    """A GOV.UK date input (day, month, year) that may be left blank.

    A query string can hold any number of values for the field; anything but three parts would
    break the widget, so it is padded and refused with a message instead.
    """

    def process_formdata(self, valuelist):
        if not valuelist or not any(v.strip() for v in valuelist):
            self.raw_data = None
            self.data = None
            return
        if len(valuelist) != 3:
            self.raw_data = (list(valuelist) + ["", "", ""])[:3]
            self.data = None
            raise ValueError("Not a valid date value.")
        super().process_formdata([" ".join(v.strip() for v in valuelist)])


class AuditFilterForm(FlaskForm):
    """Filters come in the query string, so a filtered trail can be bookmarked; they need no CSRF.

    Choices are checked here with messages that say what to do, rather than WTForms' "Not a valid choice".
    """

    class Meta:
        csrf = False

    person = SelectField("Person", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    agency = SelectField("Their agency", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    object = SelectField("Kind of object", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    # Set by the "History of this object" links, with `object`.
    object_id = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    start = DayField("From", format="%d %m %Y", widget=GovDateInput(), description="For example, 1 4 2019")
    end = DayField("To", format="%d %m %Y", widget=GovDateInput(), description="For example, 30 6 2019")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, message in (("person", "Select a person from the list"),
                              ("agency", "Select an agency from the list"),
                              ("object", "Select a kind of object from the list")):
            field = getattr(self, name)
            if field.data and field.data not in {c.value for c in field.choices}:
                field.errors.append(message)
                ok = False
        for name, what in (("start", "the first day"), ("end", "the last day")):
            field = getattr(self, name)
            if field.errors and field.data is None:
                field.errors[:] = [f"Enter {what} as a real date, like 21 10 2019"]
        if self.object_id.errors:
            self.object_id.errors[:] = ["The object number must be a whole number: use the links in the trail"]
        if self.start.data and self.end.data and self.end.data < self.start.data:
            self.end.errors.append("The last day must be the same as or after the first day")
            ok = False
        return ok

"""The base of every form: input no field may take, refused in one place with a message by the field.

Every feature's forms import `FlaskForm` from here instead of from Flask-WTF, so each text field
refuses NUL and other control characters (PostgreSQL cannot store NUL in text, and no one types
them) and each whole-number field refuses numbers no column can hold.
"""

import re
from collections.abc import Iterable

from flask_wtf import FlaskForm as _FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

# C0 controls and DEL, except tab, line feed and carriage return, which multi-line text keeps.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # a 32-bit INTEGER column: versions, ids, years


def no_control_characters(form, field) -> None:
    """Refuse NUL and other invisible control characters (multi-line text may keep tab and new lines)."""
    multi_line = field.type == "TextAreaField"
    pattern = _CONTROL if multi_line else _CONTROL_ONE_LINE
    for value in field.raw_data or []:
        if isinstance(value, str) and pattern.search(value):
            raise ValidationError(f"{field.label.text} must not contain control characters: retype it")


def within_integer_column(form, field) -> None:
    """Refuse a whole number that no INTEGER column holds (a tampered hidden version, an id)."""
    if field.data is not None and not INT_MIN <= field.data <= INT_MAX:
        raise ValidationError(f"{field.label.text or 'The number'} is too large: reload the page and try again")


class FlaskForm(_FlaskForm):
    class Meta(_FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            extra = []
            if issubclass(field_class, StringField):  # TextAreaField, EmailField and the like too
                extra.append(no_control_characters)
            elif issubclass(field_class, IntegerField):
                extra.append(within_integer_column)
            if extra:
                # First, so a field with a control character does not reach a validator that parses it.
                unbound_field.kwargs["validators"] = extra + list(unbound_field.kwargs.get("validators") or [])
            if issubclass(field_class, DateField) and isinstance(unbound_field.kwargs.get("widget"), GovDateInput):
                unbound_field.kwargs["widget"] = CompleteGovDateInput()
            return super().bind_field(form, unbound_field, options)


class CompleteGovDateInput(GovDateInput):
    """The GOV.UK date input, re-rendered with what was typed even when a part is missing.

    The library's widget unpacks exactly three parts and fails on two; a hand-made request can
    send any number. Missing parts show empty, and the field's own message says what to enter.
    """

    def map_gov_params(self, field, **kwargs):
        raw = field.raw_data
        if raw is not None and len(raw) != 3:
            field.raw_data = (list(raw) + ["", "", ""])[:3]
            try:
                return super().map_gov_params(field, **kwargs)
            finally:
                field.raw_data = raw
        return super().map_gov_params(field, **kwargs)


def positive_int(text: str | None, maximum: int = INT_MAX) -> int | None:
    """A query parameter as a whole number from 1 to `maximum`; None for anything else."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None


class ListFilterForm(FlaskForm):
    """A list's filters by objective and agency, read from the query string: bookmarkable, so no CSRF.

    A choice that names no objective or agency filters nothing rather than failing.
    """

    class Meta:
        csrf = False

    ALL_AGENCIES = "All agencies"  # the agency list's first option
    objective = SelectField("Objective", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    agency = SelectField("Agency", widget=GovSelect(), validators=[Optional()], validate_choice=False)

    def offer(self, objectives: Iterable, agencies: Iterable) -> None:
        """Set the objectives and agencies to choose from."""
        objectives = list(objectives)
        self._objective_codes = {o.code for o in objectives}
        self.objective.choices = [SelectChoice("", "All objectives")] + [
            SelectChoice(o.code, f"{o.code}. {o.title}") for o in objectives]
        self.agency.choices = [SelectChoice("", self.ALL_AGENCIES)] + [
            SelectChoice(str(a.id), a.name) for a in agencies]

    def chosen(self) -> dict:
        """The filters as the service takes them, None where nothing (or nothing valid) is chosen."""
        return {
            "objective": self.objective.data if self.objective.data in self._objective_codes else None,
            "agency_id": positive_int(self.agency.data),  # bounded: an id past 64 bits is no agency
        }

"""Forms of the indicators feature. Forms validate; they never write.

Numbers are read from text fields so every rule can give its own message
("Enter a whole number", "Enter a percentage from 0 to 100") instead of a
generic "Not a valid float value".
"""


from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms import FlaskForm, ListFilterForm  # FlaskForm refuses control characters and oversized numbers
from app.kpis.aggregation import TargetBasis
from app.kpis.scoring import Polarity, Rag, Unit
from app.numbers import parse_number

BASIS_CHOICES = [
    SelectChoice(TargetBasis.QUARTER.value, "For each quarter: every quarter is judged against this target"),
    SelectChoice(TargetBasis.YEAR.value, "For the year: the year-end outturn is judged against this target"),
]

NOTE_LIMIT = 2000  # characters: a short paragraph on how the figure was counted or why it moved
# The largest numerator or denominator: whole numbers stay exact as floats up to 2^53, and the
# columns are 64-bit (migration 0005); the whole population of England is under 2^26.
PART_LIMIT = 2**53


def _whole(number: float) -> bool:
    return float(number).is_integer()


def _unit_rules(unit: Unit, number: float, what: str) -> str | None:
    """The message for a value that breaks its unit's rule, or None."""
    if unit is Unit.COUNT:
        if number < 0 or not _whole(number):
            return f"{what} must be a whole number, 0 or more, like 12"
    elif unit is Unit.PERCENTAGE:
        if not 0 <= number <= 100:
            return f"{what} must be a percentage from 0 to 100"
    elif number < 0:
        return f"{what} must be 0 or more"
    return None


class ValueForm(FlaskForm):
    """One indicator's value for one quarter: a value, or a numerator and denominator for a rate."""

    value = StringField("Value", widget=GovTextInput())
    numerator = StringField("Numerator", widget=GovTextInput())
    denominator = StringField("Denominator", widget=GovTextInput())
    note = TextAreaField(
        "Note (optional)",
        widget=GovTextArea(),
        validators=[Length(max=NOTE_LIMIT, message=f"The note must be {NOTE_LIMIT} characters or fewer")],
    )
    provisional = BooleanField("Provisional figure (may be revised)", widget=GovCheckboxInput())
    version = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired("The form is missing its version: reload the page")],
    )
    save = SubmitField("Save value", widget=GovSubmitInput())

    def __init__(self, *args, unit: Unit | str = Unit.COUNT, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = Unit(unit)
        self.parsed_value: float | None = None
        self.parsed_numerator: int | None = None
        self.parsed_denominator: int | None = None

    @property
    def is_rate(self) -> bool:
        return self.unit in (Unit.PERCENTAGE, Unit.RATE_PER_1000)

    def _read(self, field, what: str) -> float | None:
        try:
            return parse_number(field.data)
        except ValueError:
            field.errors.append(f"Enter the {what} as a number, like 12")
            return None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        value = self._read(self.value, "value")
        numerator = denominator = None
        if self.is_rate:
            numerator = self._read(self.numerator, "numerator")
            denominator = self._read(self.denominator, "denominator")
        if self.errors:
            return False
        if self.is_rate and (numerator is not None or denominator is not None):
            if numerator is None:
                self.numerator.errors.append(
                    "Enter the numerator, or clear the denominator and enter the value"
                )
            elif numerator < 0 or not _whole(numerator):
                self.numerator.errors.append("The numerator must be a whole number, 0 or more")
            elif numerator > PART_LIMIT:
                self.numerator.errors.append(f"The numerator must be {PART_LIMIT:,} or less")
            if denominator is None:
                self.denominator.errors.append(
                    "Enter the denominator, or clear the numerator and enter the value"
                )
            elif denominator <= 0 or not _whole(denominator):
                self.denominator.errors.append("The denominator must be a whole number greater than 0")
            elif denominator > PART_LIMIT:
                self.denominator.errors.append(f"The denominator must be {PART_LIMIT:,} or less")
            if not self.numerator.errors and not self.denominator.errors and numerator > denominator:
                self.numerator.errors.append("The numerator cannot be more than the denominator")
            if self.numerator.errors or self.denominator.errors:
                return False
            self.parsed_numerator, self.parsed_denominator = int(numerator), int(denominator)
            return ok
        if value is None:
            self.value.errors.append(
                "Enter the numerator and denominator, or the value"
                if self.is_rate
                else "Enter the value for this quarter"
            )
            return False
        message = _unit_rules(self.unit, value, "The value")
        if message:
            self.value.errors.append(message)
            return False
        self.parsed_value = value
        return ok

    def for_service(self) -> dict:
        """What was entered, as save_value's keyword arguments (after validate)."""
        return {"version": self.version.data, "value": self.parsed_value, "numerator": self.parsed_numerator,
                "denominator": self.parsed_denominator, "note": self.note.data or "",
                "provisional": bool(self.provisional.data)}


class TargetForm(FlaskForm):
    """A target decision for one indicator and financial year."""

    basis = RadioField(
        "What is the target for?",
        choices=BASIS_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired("Select whether the target is for each quarter or for the year")],
    )
    value = StringField("Target", widget=GovTextInput())
    q1 = StringField("Q1 (April to June)", widget=GovTextInput())
    q2 = StringField("Q2 (July to September)", widget=GovTextInput())
    q3 = StringField("Q3 (October to December)", widget=GovTextInput())
    q4 = StringField("Q4 (January to March)", widget=GovTextInput())
    lower = StringField("Lowest acceptable value", widget=GovTextInput())
    upper = StringField("Highest acceptable value", widget=GovTextInput())
    tolerance = StringField("Tolerance, as a percentage of the target", widget=GovTextInput())
    note = TextAreaField(
        "Reason for this target",
        widget=GovTextArea(),
        validators=[
            InputRequired("Enter the reason for this target, such as the HCSP meeting that agreed it"),
            Length(max=NOTE_LIMIT, message=f"The reason must be {NOTE_LIMIT} characters or fewer"),
        ],
    )
    expected_latest_id = IntegerField(
        widget=HiddenField.widget,
        validators=[InputRequired("The form is missing its version: reload the page")],
    )
    save = SubmitField("Save target", widget=GovSubmitInput())

    PROFILE = ("q1", "q2", "q3", "q4")

    def __init__(
        self, *args, unit: Unit | str = Unit.COUNT, polarity: Polarity | str = Polarity.HIGHER, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.unit = Unit(unit)
        self.polarity = Polarity(polarity)
        self.parsed: dict[str, float | None] = {}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        names = ("value", *self.PROFILE, "lower", "upper", "tolerance")
        for name in names:
            field = getattr(self, name)
            try:
                number = parse_number(field.data)
            except ValueError:
                field.errors.append(f"Enter the {field.label.text.lower()} as a number, like 12")
                continue
            if number is not None and name != "tolerance":
                message = _unit_rules(
                    self.unit if self.unit is not Unit.COUNT else Unit.MONEY, number, field.label.text
                )
                if message:
                    field.errors.append(message)
                    continue
            if name == "tolerance" and number is not None and not 0 <= number <= 100:
                field.errors.append("The tolerance must be a percentage from 0 to 100")
                continue
            self.parsed[name] = number
        if any(getattr(self, n).errors for n in names):
            return False
        p = self.parsed
        if p["lower"] is not None and p["upper"] is not None and p["lower"] > p["upper"]:
            self.lower.errors.append("The lowest acceptable value cannot be more than the highest")
            return False
        if self.polarity is Polarity.BAND:
            if p["lower"] is None and p["upper"] is None:
                self.lower.errors.append("Enter the lowest or highest acceptable value, or both")
                return False
        elif p["value"] is None and all(p[q] is None for q in self.PROFILE):
            self.value.errors.append("Enter the target, or a target for each quarter")
            return False
        return ok

    @property
    def profile(self) -> list[float | None]:
        return [self.parsed.get(q) for q in self.PROFILE]

    @property
    def tolerance_fraction(self) -> float | None:
        tolerance = self.parsed.get("tolerance")
        return None if tolerance is None else tolerance / 100

    def fill(self, in_force, expected_latest_id: int) -> None:
        """Prefill with the target in force (a new decision starts from it) and the latest decision seen."""
        self.expected_latest_id.data = expected_latest_id
        if in_force is None:
            return
        self.basis.data = in_force.basis
        for name in ("value", "q1", "q2", "q3", "q4", "lower", "upper"):
            number = getattr(in_force, name)
            getattr(self, name).data = f"{number:g}" if number is not None else ""
        if in_force.tolerance is not None:
            self.tolerance.data = f"{in_force.tolerance * 100:g}"

    def expect_latest(self, latest) -> None:
        """After a conflict: the next save is judged against the decision someone else just saved."""
        self.expected_latest_id.raw_data = None
        self.expected_latest_id.data = latest.id if latest else 0

    def for_service(self) -> dict:
        """The decision, as set_target's keyword arguments (after validate)."""
        return {"value": self.parsed["value"], "profile": self.profile, "basis": self.basis.data,
                "lower": self.parsed["lower"], "upper": self.parsed["upper"], "tolerance": self.tolerance_fraction,
                "note": self.note.data or "", "expected_latest_id": self.expected_latest_id.data}


class CatalogueFilterForm(ListFilterForm):
    """Catalogue filters: objective, owner agency and rating."""

    ALL_AGENCIES = "All owner agencies"
    agency = SelectField("Owner agency", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    rag = SelectField("Rating", widget=GovSelect(), validators=[Optional()], validate_choice=False)

    def offer(self, objectives, agencies) -> None:
        super().offer(objectives, agencies)
        self.rag.choices = [SelectChoice("", "All ratings")] + [SelectChoice(r.value, r.label) for r in Rag]

    def chosen(self) -> dict:
        return super().chosen() | {"rag": self.rag.data if self.rag.data in {r.value for r in Rag} else None}

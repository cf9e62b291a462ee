"""Forms of the annual refresh. Forms validate; they never write."""


from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.actions.timescale import derive_due_date
from app.forms import FlaskForm  # refuses control characters and oversized numbers
from app.kpis.scoring import Unit
from app.numbers import parse_number
from app.refresh import carry_forward
from app.refresh.editing import CODE_RE, REASON_LIMIT

TITLE_LIMIT = 1000  # characters: the plan's longest action title is about 300
TEXT_LIMIT = 4000  # characters, as for an update's commentary
TIMESCALE_LIMIT = carry_forward.TIMESCALE_LIMIT


class RefreshForm(FlaskForm):
    """The confirm button of the refresh; each indicator's target fields are added by `refresh_form_for`."""

    confirm = SubmitField("Refresh the plan", widget=GovSubmitInput())

    target_fields: list[tuple[object, list[str]]] = []
    timescale_fields: list[tuple[object, str]] = []  # (PreviewRow past its due date, field name)
    year_start = None  # the first day of the year being refreshed, for the timescale check

    def _timescale(self, row, name: str) -> str:
        # A field the request did not send at all (an older page, a script) keeps the old timescale;
        # one sent blank is an error.
        field = self[name]
        return (field.data or "").strip() if field.raw_data else (row.action.timescale or "").strip()

    @property
    def timescales(self) -> dict[int, str]:
        """The timescale typed for each past-due action, keyed by the old row's id (after validate)."""
        return {row.action.id: self._timescale(row, name) for row, name in self.timescale_fields}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for row, name in self.timescale_fields:
            text = self._timescale(row, name)
            problem = carry_forward.timescale_problem(row.action.code, row.action.timescale, text,
                                              derive_due_date(text), self.year_start)
            if problem:
                self[name].errors.append(problem)
                ok = False
        self.parsed: dict[str, float | None] = {}
        for row, names in self.target_fields:
            unit = Unit(row.indicator.unit)
            for name in names:
                field = self[name]
                try:
                    number = parse_number(field.data)
                except ValueError:
                    field.errors.append(f"Enter the {row.indicator.code} target as a number, like 12, "
                                        "or leave it blank for no target")
                    ok = False
                    continue
                if number is not None and number < 0:
                    field.errors.append(f"The {row.indicator.code} target must be 0 or more")
                    ok = False
                elif number is not None and unit is Unit.PERCENTAGE and number > 100:
                    field.errors.append(f"The {row.indicator.code} target must be a percentage from 0 to 100")
                    ok = False
                else:
                    self.parsed[name] = number
            if len(names) == 2 and not any(self[n].errors for n in names):
                low, high = (self.parsed[n] for n in names)
                if low is not None and high is not None and low > high:
                    self[names[0]].errors.append(
                        f"The lowest acceptable {row.indicator.code} value cannot be more than the highest")
                    ok = False
        return ok


def _text(number: float | None) -> str:
    return "" if number is None else f"{number:g}"


def refresh_form_for(target_rows, past_due_rows=(), year_start=None, **kwargs) -> RefreshForm:
    """A RefreshForm with a target field (or a band's two fields) per indicator, prefilled from the target
    in force (last year's unless this year's is already agreed) when the page is first shown, and a
    timescale field per carried-forward action already past its due date, prefilled with its timescale."""

    class YearRefreshForm(RefreshForm):
        pass

    timescale_fields = []
    for row in past_due_rows:
        name = f"timescale_{row.action.id}"
        setattr(YearRefreshForm, name, StringField(
            f"{row.action.code}: new timescale", widget=GovTextInput(),
            description=(f"Was \u201c{row.action.timescale}\u201d, due {row.action.due_date:%-d %B %Y}. "
                         "Leave it as it is to keep it.")))
        timescale_fields.append((row, name))
    YearRefreshForm.timescale_fields = timescale_fields
    YearRefreshForm.year_start = year_start

    fields = []
    for row in target_rows:
        ind = row.indicator
        unit = Unit(ind.unit).label
        if row.is_band:
            names = [f"lower_{ind.id}", f"upper_{ind.id}"]
            setattr(YearRefreshForm, names[0], StringField(f"{ind.code} lowest acceptable value ({unit})",
                                                           widget=GovTextInput()))
            setattr(YearRefreshForm, names[1], StringField(f"{ind.code} highest acceptable value ({unit})",
                                                           widget=GovTextInput()))
        else:
            names = [f"target_{ind.id}"]
            setattr(YearRefreshForm, names[0], StringField(f"{ind.code}: {ind.name} ({unit})",
                                                           widget=GovTextInput()))
        fields.append((row, names))
    YearRefreshForm.target_fields = fields
    form = YearRefreshForm(**kwargs)
    if not form.is_submitted():
        for row, name in timescale_fields:
            form[name].data = row.action.timescale or ""
        for row, names in fields:
            source = row.in_force
            if row.is_band:
                form[names[0]].data = _text(source.lower if source else None)
                form[names[1]].data = _text(source.upper if source else None)
            else:
                form[names[0]].data = _text(source.value if source else None)
    return form


class ActionForm(FlaskForm):
    """An action of the refreshed plan: title, timescale, outcomes, sub-actions and leads."""

    title = TextAreaField("Action", widget=GovTextArea(), validators=[
        InputRequired("Enter the action"),
        Length(max=TITLE_LIMIT, message=f"The action must be {TITLE_LIMIT} characters or fewer")])
    timescale = StringField("Timescale", widget=GovTextInput(), validators=[
        Optional(),
        Length(max=TIMESCALE_LIMIT, message=f"The timescale must be {TIMESCALE_LIMIT} characters or fewer")])
    sub_actions = TextAreaField("Sub-actions (optional)", widget=GovTextArea(), validators=[
        Length(max=TEXT_LIMIT, message=f"Sub-actions must be {TEXT_LIMIT} characters or fewer in all")])
    outcomes = TextAreaField("Outcomes (optional)", widget=GovTextArea(), validators=[
        Length(max=TEXT_LIMIT, message=f"Outcomes must be {TEXT_LIMIT} characters or fewer in all")])
    leads = SelectMultipleField("Lead agencies", coerce=int, widget=GovCheckboxesInput(),
                                validators=[InputRequired("Select at least one lead agency")])
    version = IntegerField(widget=HiddenField.widget,
                           validators=[InputRequired("The form is missing its version: reload the page")])
    save = SubmitField("Save changes", widget=GovSubmitInput())

    def validate_title(self, field):
        if not (field.data or "").strip():
            raise ValidationError("Enter the action")

    def fill(self, action) -> None:
        """Show `action` as it is saved, with its version (the form's GET, or afresh after a save)."""
        self.title.data = action.title
        self.timescale.data = action.timescale or ""
        self.sub_actions.data = "\n".join(s.text for s in action.sub_actions)
        self.outcomes.data = "\n".join(action.outcomes or [])
        self.leads.data = [lead.agency_id for lead in action.leads]
        self.version.data = action.version

    def show_refusal(self, error: ValueError) -> None:
        """Put the service's refusal next to the field it is about: the leads, or else the sub-actions."""
        field = self.leads if str(error).startswith("Select") else self.sub_actions
        field.errors.append(str(error))

    def for_service(self) -> dict:
        """The action as entered, as the service's keyword arguments (edit_action; add_action without version)."""
        return {"title": self.title.data, "timescale": self.timescale.data or "", "lead_ids": self.leads.data or [],
                "outcomes": (self.outcomes.data or "").splitlines(),
                "sub_actions": (self.sub_actions.data or "").splitlines()}


class NewActionForm(ActionForm):
    """A new action: the edit form's fields plus its objective and code."""

    objective = SelectField("Objective", widget=GovSelect(), validators=[InputRequired("Select an objective")])
    code = StringField("Code", widget=GovTextInput(), validators=[InputRequired("Enter a code, like B10")])
    version = IntegerField(widget=HiddenField.widget, default=0, validators=[Optional()])
    save = SubmitField("Add action", widget=GovSubmitInput())

    def validate_code(self, field):
        code = (field.data or "").strip()
        field.data = code[:1].upper() + code[1:]
        if not CODE_RE.match(field.data):
            raise ValidationError("Enter a code of the objective's letter and a number, like B10 or D2a")
        if self.objective.data and field.data[:1] != self.objective.data:
            raise ValidationError(f"The code must start with the objective's letter, {self.objective.data}")


class RetireForm(FlaskForm):
    reason = TextAreaField("Why is this action being retired?", widget=GovTextArea(), validators=[
        InputRequired("Enter the reason for retiring this action"),
        Length(max=REASON_LIMIT, message=f"The reason must be {REASON_LIMIT} characters or fewer")])
    version = IntegerField(widget=HiddenField.widget,
                           validators=[InputRequired("The form is missing its version: reload the page")])
    retire = SubmitField("Retire action", widget=GovSubmitInput())

    def validate_reason(self, field):
        if not (field.data or "").strip():
            raise ValidationError("Enter the reason for retiring this action")

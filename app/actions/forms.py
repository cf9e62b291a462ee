"""Forms of the actions feature. Forms validate; they never write."""

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea
from wtforms import HiddenField, IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.actions.rollup import MITIGATION_NEEDED, STATUS_ORDER, SUBMITTABLE, Status
from app.forms import FlaskForm, ListFilterForm  # FlaskForm refuses control characters and oversized numbers

TEXT_LIMIT = 4000  # characters: about a page of A4, as long as the HCSP report can carry

STATUS_CHOICES = [SelectChoice(s.value, s.label) for s in SUBMITTABLE]
SUB_STATUS_CHOICES = [SelectChoice("", "Not set")] + STATUS_CHOICES


class UpdateForm(FlaskForm):
    """One agency's update on one action for one quarter.

    A draft may be incomplete; submitting needs a status, a commentary and,
    for Amber or Red, the mitigation. Those rules are checked in `validate`
    because they depend on which button was pressed.
    """

    status = RadioField("Status this quarter", choices=STATUS_CHOICES, widget=GovRadioInput(),
                        validators=[Optional()], validate_choice=True)
    commentary = TextAreaField(
        "Commentary on progress", widget=GovTextArea(),
        validators=[Length(max=TEXT_LIMIT, message=f"Commentary must be {TEXT_LIMIT} characters or fewer")])
    mitigation = TextAreaField(
        "Mitigation and next steps", widget=GovTextArea(),
        description="Required for Amber and Red: what is being done about the slippage or risk.",
        validators=[Length(max=TEXT_LIMIT, message=f"Mitigation must be {TEXT_LIMIT} characters or fewer")])
    version = IntegerField(widget=HiddenField.widget,
                           validators=[InputRequired("The form is missing its version: reload the page")])
    save_draft = SubmitField("Save as draft", widget=GovSubmitInput())
    submit_update = SubmitField("Submit update", widget=GovSubmitInput())

    sub_action_fields: list[tuple[int, str]] = []

    @property
    def submitting(self) -> bool:
        return bool(self.submit_update.data)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.submitting:
            return ok
        if not self.status.data:
            self.status.errors.append("Select a status for this quarter")
            ok = False
        if not (self.commentary.data or "").strip():
            self.commentary.errors.append("Enter a commentary on progress this quarter")
            ok = False
        if self.status.data in (Status.AMBER, Status.RED) and not (self.mitigation.data or "").strip():
            self.mitigation.errors.append(MITIGATION_NEEDED)
            ok = False
        return ok

    def for_service(self) -> dict:
        """What the lead entered, as save_update's keyword arguments."""
        return {"version": self.version.data, "status": Status(self.status.data) if self.status.data else None,
                "commentary": self.commentary.data or "", "mitigation": self.mitigation.data or "",
                "sub_statuses": self.sub_statuses(), "submit": self.submitting}

    def sub_statuses(self) -> dict[int, Status]:
        """The sub-action statuses chosen, keyed by sub-action id; unset ones are left out."""
        return {sid: Status(getattr(self, name).data) for sid, name in self.sub_action_fields
                if getattr(self, name).data}


def update_form_for(action, **kwargs) -> UpdateForm:
    """An UpdateForm with one optional status field per sub-action of `action`."""

    class ActionUpdateForm(UpdateForm):
        pass

    fields = []
    for sub in action.sub_actions:
        name = f"sub_{sub.number}"
        setattr(ActionUpdateForm, name, SelectField(
            f"{sub.number}) {sub.text}", choices=SUB_STATUS_CHOICES, widget=GovSelect(),
            validators=[Optional()], validate_choice=True,
        ))
        fields.append((sub.id, name))
    ActionUpdateForm.sub_action_fields = fields
    return ActionUpdateForm(**kwargs)


class DashboardFilterForm(ListFilterForm):
    """Dashboard filters: objective, lead agency and status (or overdue)."""

    ALL_AGENCIES = "All lead agencies"
    agency = SelectField("Lead agency", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    status = SelectField("Status", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    STATUSES = frozenset({s.value for s in STATUS_ORDER} | {"overdue"})

    def offer(self, objectives, agencies) -> None:
        super().offer(objectives, agencies)
        self.status.choices = [SelectChoice("", "All statuses")] + [
            SelectChoice(s.value, "No update yet" if s is Status.NO_UPDATE else s.label) for s in STATUS_ORDER
        ] + [SelectChoice("overdue", "Overdue")]

    def chosen(self) -> dict:
        return super().chosen() | {"status": self.status.data if self.status.data in self.STATUSES else None}

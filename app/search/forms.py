"""The search box. Its words come in the query string, so a search can be bookmarked; it needs no CSRF."""

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextInput
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from app.forms import FlaskForm
from app.search import query
from app.search.service import KIND_LABELS

MAX_QUERY_LENGTH = 200


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search for", widget=GovTextInput(), filters=[lambda text: (text or "").strip()],
                    description="Words from an action's title or detail, an update's commentary or "
                                "mitigation, or an indicator's name or definition",
                    validators=[Length(max=MAX_QUERY_LENGTH,
                                       message=f"Search for {MAX_QUERY_LENGTH} characters or fewer")])
    kind = RadioField("Look in", widget=GovRadioInput(), default="",
                      choices=[SelectChoice("", "Everything")]
                      + [SelectChoice(k, label) for k, label in KIND_LABELS.items()], validate_choice=False)

    def validate_q(self, field) -> None:
        if not field.data:
            raise ValidationError("Enter words to search for")
        if not query.words(field.data):
            raise ValidationError("Enter a word to search for, not only common words like "
                                  "\u201cthe\u201d or \u201cand\u201d")

    def validate_kind(self, field) -> None:
        if field.data not in ("", *KIND_LABELS):
            raise ValidationError("Select where to look from the list")

    @property
    def chosen_kind(self) -> str | None:
        """The kind to page through, or None for a first look at everything."""
        return self.kind.data or None

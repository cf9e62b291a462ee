"""A return: what an agency reports for a quarter and the coordinator reviews.

An action update (app.actions) and an indicator value (app.kpis) are both returns. They share one state
model, so the cycle reviews them, the pages show them and the permissions judge them without asking
which kind they are:

    draft ──submit──▶ submitted ──accept──▶ accepted
      ▲                   │
      └────return─────────┘  (back to draft, with the coordinator's comment: "returned for changes")

A draft is work in progress, seen only by its own agency (app.permissions.can_see_return); submitted
and accepted returns are reported.
"""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime


class ReturnState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"


RETURN_STATES = tuple(state.value for state in ReturnState)
REPORTED = (ReturnState.SUBMITTED.value, ReturnState.ACCEPTED.value)


class ReviewableReturn:
    """The review's columns and the meaning of `state`, mixed into Update and IndicatorValue.

    Each model keeps its own `state` column (an update starts as a draft, a value is submitted when
    saved) and says who owns it, who submitted it and what it is called in the audit trail.
    """

    AUDIT_ENTITY: ClassVar[str]  # the audit trail's name for this kind of return

    state: Mapped[str]
    # The coordinator's review (app.cycle): a returned return goes back to draft with this comment.
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_reported(self) -> bool:
        """Submitted or accepted: it counts in the quarter's figures and everyone signed in sees it."""
        return self.state in REPORTED

    @property
    def is_returned(self) -> bool:
        """Sent back by the coordinator: a draft again, carrying the review comment."""
        return self.state == ReturnState.DRAFT and bool(self.review_comment)

    @property
    def owner_agency_id(self) -> int:
        """The agency whose return this is."""
        raise NotImplementedError

    @property
    def submitter_id(self) -> int | None:
        """Who submitted it (for separation of duties in review)."""
        raise NotImplementedError

    @property
    def review_subject(self) -> str:
        """What it is, in the audit trail's words: "the Police update on A1", "the value of DV01"."""
        raise NotImplementedError

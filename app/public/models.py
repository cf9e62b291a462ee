"""Whether a locked quarter is published on the public progress page, and its public summary."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, utcnow
from app.extensions import db
from app.strategy.quarters import Quarter


class Publication(db.Model):
    """One quarter's publication: off until the coordinator turns it on, and only ever shown while the
    quarter is locked (a re-opened quarter leaves the public page until it is locked again)."""

    __tablename__ = "publication"
    __table_args__ = (
        UniqueConstraint("year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)  # financial year start
    quarter: Mapped[int] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # The only commentary the public page carries: a short summary written for residents.
    summary: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)

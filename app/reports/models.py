"""What a locked quarter published: its report page, pack, figures and chart data, kept at the lock."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime
from app.extensions import db


class FrozenReport(db.Model):
    """One audience's outputs of one locked quarter, exactly as the board received them.

    Written when the quarter is locked and deleted when it is re-opened (app.reports.frozen), so a plan
    edit, an indicator added later or a re-opened earlier quarter cannot rewrite a pack already sent.
    """

    __tablename__ = "frozen_report"
    __table_args__ = (UniqueConstraint("period_id", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(12))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    page_head: Mapped[str] = mapped_column(Text)  # the page's heading and lock status, as HTML
    page_body: Mapped[str] = mapped_column(Text)  # the page's tables and charts, as HTML
    figures: Mapped[str] = mapped_column(Text)  # the indicator figures as JSON (indicators.json)
    charts: Mapped[str] = mapped_column(Text)  # what each headline chart draws, as JSON
    pack: Mapped[bytes] = mapped_column(LargeBinary)  # the Excel pack

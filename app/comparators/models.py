"""Comparator figures: ranks a source states, and other areas' published values for an indicator."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, utcnow
from app.extensions import db

HAVERING = "Havering"  # the area the app is run for, as comparator files name it


class ComparatorRank(db.Model):
    """A rank a source states without the other areas' values ("the 8th lowest rate of the 32 London
    boroughs"), cited to its line like the catalogue's baselines."""

    __tablename__ = "comparator_rank"
    __table_args__ = (UniqueConstraint("indicator_id", "group_name", "measure", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(100))  # "London boroughs", "MOPAC similar family"
    measure: Mapped[str] = mapped_column(Text)  # what was ranked, e.g. "rate per 1,000 population"
    period: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int] = mapped_column(Integer)
    of_areas: Mapped[int] = mapped_column(Integer)
    counted_from: Mapped[str] = mapped_column(String(10))  # "lowest", "highest" or "best"
    source: Mapped[str] = mapped_column(String(200))
    line: Mapped[int | None] = mapped_column(Integer)
    passage: Mapped[str] = mapped_column(Text, default="")
    published_on: Mapped[date | None] = mapped_column(Date)


class ComparatorValue(db.Model):
    """One area's published figure for an indicator's measure in a period, imported from CSV."""

    __tablename__ = "comparator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "group_name", "area", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(100))
    area: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[int | None] = mapped_column(BigInteger)
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @property
    def figure(self) -> float | None:
        """The value, or the rate its numerator and denominator give (per 100: a percentage)."""
        if self.value is not None:
            return self.value
        if self.numerator is not None and self.denominator:
            return 100 * self.numerator / self.denominator
        return None

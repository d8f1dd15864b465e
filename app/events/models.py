"""Event and Booking: versioned, scoped to a project, in the feed as `event` and `booking`."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import Versioned

from ..extensions import db

STATUSES = ("pending", "approved", "rejected")
#: What an approval approves: changing any of these sends an approved event back to `pending`
#: (owners and bookers are told). Title and description are wording, and keep the approval.
DECIDED_FIELDS = ("starts_at", "ends_at", "venue", "capacity")


class Event(Versioned, db.Model):
    __tablename__ = "events"
    __change_type__ = "event"
    __scope_attr__ = "project_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    venue: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Kept in step with the bookings under the event's row lock; a booking moves the event's version.
    booked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_events_project_id_id", "project_id", "id"),
        Index("ix_events_project_starts", "project_id", "starts_at"),
    )


class Booking(Versioned, db.Model):
    __tablename__ = "bookings"
    __change_type__ = "booking"
    __scope_attr__ = "project_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)

    __table_args__ = (
        # The last line of defence against a double booking; the event's row lock is the first.
        UniqueConstraint("event_id", "user_id", name="uq_bookings_event_user"),
        Index("ix_bookings_user_project", "user_id", "project_id"),
    )

"""Notification and UnreadCount: private to their user, versioned, in that user's feed."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import Versioned

from ..extensions import db

KINDS = ("event_approved", "event_rejected", "event_needs_decision", "event_changed", "task_assigned",
         "message_posted")


class Notification(Versioned, db.Model):
    __tablename__ = "notifications"
    __change_type__ = "notification"
    __scope_attr__ = "project_id"
    __audience_attr__ = "user_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(26), nullable=False)
    text: Mapped[str] = mapped_column(String(500), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_notifications_user_project_id", "user_id", "project_id", "id"),)


class UnreadCount(Versioned, db.Model):
    __tablename__ = "unread_counts"
    __change_type__ = "unread_count"
    __scope_attr__ = "project_id"
    __feed_default__ = False  # bookkeeping: in the feed when asked for by `types`
    __audience_attr__ = "user_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    unread: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_unread_counts_project_user"),)

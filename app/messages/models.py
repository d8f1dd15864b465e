"""Thread and Message: versioned, scoped to a project, in the feed as `thread` and `message`."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import Versioned

from ..extensions import db


class Thread(Versioned, db.Model):
    __tablename__ = "threads"
    __change_type__ = "thread"
    __scope_attr__ = "project_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    # Kept under the thread's row lock as messages come and go: an inbox sees activity in the thread's version.
    message_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_threads_project_id_id", "project_id", "id"),)


class Message(Versioned, db.Model):
    __tablename__ = "messages"
    __change_type__ = "message"
    __scope_attr__ = "project_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id"), nullable=False)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (Index("ix_messages_thread_id_id", "thread_id", "id"),)

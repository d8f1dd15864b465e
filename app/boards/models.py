"""Project, Status and Task: each Versioned, so each gets ETags, If-Match and feed entries."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import Versioned

from ..extensions import db


class Project(Versioned, db.Model):
    __tablename__ = "projects"
    __change_type__ = "project"
    __scope_attr__ = "id"  # a project is its own scope
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class Status(Versioned, db.Model):
    __tablename__ = "statuses"
    __change_type__ = "status"
    __scope_attr__ = "project_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Tasks in a done status count as completed (progress, summary).
    done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())


class Task(Versioned, db.Model):
    __tablename__ = "tasks"
    __change_type__ = "task"
    __scope_attr__ = "project_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    status_id: Mapped[str] = mapped_column(ForeignKey("statuses.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    points: Mapped[int | None] = mapped_column(Integer)
    # When the task last entered a done status; None while it is not done.
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_tasks_project_id_id", "project_id", "id"),)


#: Models whose rows belong to a project, in deletion order (children first). Domains built on
#: projects register theirs with `project_parts`; the kanban domain knows nothing of them.
PROJECT_PARTS = []


def project_parts(*models):
    """Declare that deleting a project deletes these models' rows of it, in this order, each with a
    tombstone (idempotent: a model declared again keeps its place)."""
    PROJECT_PARTS.extend(m for m in models if m not in PROJECT_PARTS)


def project_rows_in_deletion_order():
    """Every model whose rows a project's deletion deletes, in order: the other domains' parts (children
    first), then the board's own tasks, statuses and memberships."""
    from ..auth.models import Membership

    return (*PROJECT_PARTS, Task, Status, Membership)

"""Progress (per user and project) and Summary (per project): derived, versioned, in the feed."""
from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import Versioned

from ..extensions import db


class Progress(Versioned, db.Model):
    __tablename__ = "progress"
    __change_type__ = "progress"
    __scope_attr__ = "project_id"
    __feed_default__ = False  # bookkeeping: in the feed when asked for by `types`
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completed_tasks: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    streak_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_completed_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_progress_project_user"),)


class Summary(Versioned, db.Model):
    __tablename__ = "summaries"
    __change_type__ = "summary"
    __scope_attr__ = "project_id"
    __feed_default__ = False  # bookkeeping: in the feed when asked for by `types`
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False, unique=True)
    # {status_id: number of tasks}, every status of the project included.
    by_status: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    tasks_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    @property
    def tasks_total(self):
        return sum(self.by_status.values())

    @property
    def completion(self):
        """Percentage of tasks done, one decimal (0 with no tasks)."""
        total = self.tasks_total
        return round(100.0 * self.tasks_done / total, 1) if total else 0.0

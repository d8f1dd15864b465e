"""The deriver: from-scratch recomputation of progress and summaries, under the summary's row lock."""
from datetime import timedelta

from sqlalchemy import Date, func, select

from pollfeed import locked

from ..auth.models import Membership
from ..boards.models import Project, Status, Task
from .models import Progress, Summary

#: What summaries and progress are computed from: per change type, the fields whose update can move
#: them (a create or a delete of these types always can; an update of other fields, a title say, never).
INPUTS = {
    "project": frozenset(),
    "member": frozenset(),
    "status": frozenset({"done"}),
    "task": frozenset({"status_id", "assignee_id", "points", "completed_at"}),
}


def affects(record):
    """Whether this change can move its project's summary or progress."""
    fields = INPUTS.get(record.type)
    if fields is None or not record.scope_id:
        return False
    return record.op != "update" or not fields.isdisjoint(record.fields)


def streak(days):
    """Length of the run of consecutive days ending at the latest of `days` (a set of dates)."""
    if not days:
        return 0
    day, n = max(days), 0
    while day in days:
        n, day = n + 1, day - timedelta(days=1)
    return n


def compute(session, project_id):
    """What the summary and each member's progress should be, from the tasks and statuses alone.

    Three aggregate queries (tasks per status; per assignee, done tasks and
    points; per assignee, the distinct days of completion): the database does
    the counting. Returns (summary fields, {user_id: progress fields}).
    """
    statuses = session.execute(select(Status.id, Status.done).where(Status.project_id == project_id)).all()
    done = [sid for sid, is_done in statuses if is_done]
    by_status = {sid: 0 for sid, _ in statuses}
    by_status.update(session.execute(select(Task.status_id, func.count()).where(Task.project_id == project_id)
                                     .group_by(Task.status_id)).all())
    people = {uid: {"points": 0, "completed_tasks": 0, "days": set()} for uid in session.scalars(
        select(Membership.user_id).where(Membership.project_id == project_id))}
    completed = (Task.project_id == project_id, Task.status_id.in_(done), Task.assignee_id.is_not(None))
    for uid, n, points in session.execute(
            select(Task.assignee_id, func.count(), func.coalesce(func.sum(Task.points), 0))
            .where(*completed).group_by(Task.assignee_id)):
        people.setdefault(uid, {"points": 0, "completed_tasks": 0, "days": set()}).update(
            points=int(points), completed_tasks=n)
    for uid, day in session.execute(select(Task.assignee_id, func.date(Task.completed_at, type_=Date))
                                    .where(*completed, Task.completed_at.is_not(None)).distinct()):
        people[uid]["days"].add(day)
    summary = {"by_status": by_status, "tasks_done": sum(by_status[sid] for sid in done)}
    progress = {uid: {"points": p["points"], "completed_tasks": p["completed_tasks"],
                      "streak_days": streak(p["days"]), "last_completed_on": max(p["days"], default=None)}
                for uid, p in people.items()}
    return summary, progress


def _assign(obj, values):
    """Set only what differs, so an unchanged row keeps its version and makes no change."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def refresh(session, project_id):
    """Bring one project's summary and progress rows up to date (creating them if missing)."""
    # The summary's row lock serialises the derivation per project: the counts
    # below are read after it is granted, so they include every committed move.
    summary = locked(select(Summary).where(Summary.project_id == project_id), session)
    wanted, progress = compute(session, project_id)
    if summary is None:
        session.add(Summary(project_id=project_id, **wanted))  # created with its values: one change, not two
    else:
        _assign(summary, wanted)
    current = {p.user_id: p for p in session.scalars(select(Progress).where(Progress.project_id == project_id))}
    for user_id, values in progress.items():
        row = current.get(user_id)
        if row is None:
            session.add(Progress(project_id=project_id, user_id=user_id, **values))
        else:
            _assign(row, values)


def on_change(session, records):
    projects = {r.scope_id for r in records if affects(r)}
    for project_id in sorted(projects):
        if session.scalar(select(func.count()).select_from(Project).where(Project.id == project_id)):
            refresh(session, project_id)

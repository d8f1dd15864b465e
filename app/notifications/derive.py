"""Which changes concern whom: the deriver that writes notifications and keeps unread counts exact."""
from sqlalchemy import func, select

from pollfeed import actor, locked

from ..auth.models import Membership
from ..boards.models import Project, Task
from ..events.models import DECIDED_FIELDS, Booking, Event
from ..messages.models import Message, Thread
from .models import Notification, UnreadCount


def _is_member(session, project_id, user_id):
    return bool(session.scalar(select(func.count()).select_from(Membership).where(
        Membership.project_id == project_id, Membership.user_id == user_id)))


def _event_reopened(session, event, fields):
    """An approved event changed what was approved: the owners decide again, the bookers should know."""
    what = ", ".join(f.replace("_", " ") for f in DECIDED_FIELDS if f in fields) or "details"
    owners = set(session.scalars(select(Membership.user_id).where(Membership.project_id == event.project_id,
                                                                  Membership.role == "owner")))
    bookers = set(session.scalars(select(Booking.user_id).where(Booking.event_id == event.id))) - owners
    return ([(uid, "event_needs_decision", "event", event.id,
              f"\u201c{event.title}\u201d changed ({what}) and needs a new decision.") for uid in sorted(owners)]
            + [(uid, "event_changed", "event", event.id,
                f"An event you booked, \u201c{event.title}\u201d, changed: {what}.") for uid in sorted(bookers)])


def _event_decided(session, rec):
    event = session.get(Event, rec.resource_id)
    if event is not None and event.status == "pending":
        return _event_reopened(session, event, rec.fields)
    if event is None or event.status not in ("approved", "rejected"):
        return []
    text = f"Your event \u201c{event.title}\u201d was {event.status}"
    text += f": {event.decision_reason}" if event.decision_reason else "."
    return [(event.owner_id, f"event_{event.status}", "event", event.id, text)]


def _task_assigned(session, rec):
    task = session.get(Task, rec.resource_id)
    if task is None or task.assignee_id is None:
        return []
    return [(task.assignee_id, "task_assigned", "task", task.id, f"You were assigned \u201c{task.title}\u201d.")]


def _message_posted(session, rec):
    message = session.get(Message, rec.resource_id)
    if message is None:
        return []
    thread = session.get(Thread, message.thread_id)
    authors = set(session.scalars(select(Message.author_id).where(Message.thread_id == thread.id).distinct()))
    text = f"New message in \u201c{thread.subject}\u201d."
    return [(uid, "message_posted", "thread", thread.id, text) for uid in sorted(authors | {thread.created_by})]


def _concerns(session, rec):
    """(user_id, kind, subject_type, subject_id, text) for each user this change concerns."""
    if rec.type == "event" and rec.op == "update" and "status" in rec.fields:
        return _event_decided(session, rec)
    if rec.type == "task" and rec.op != "delete" and (
            "assignee_id" in rec.fields or rec.op == "create"):
        return _task_assigned(session, rec)
    if rec.type == "message" and rec.op == "create":
        return _message_posted(session, rec)
    return []


def recount(session, project_id, user_id):
    """Set the user's unread count in the project from the notifications themselves, under its row lock."""
    counter = locked(select(UnreadCount).where(UnreadCount.project_id == project_id,
                                               UnreadCount.user_id == user_id), session)
    session.flush()  # the notifications this transaction added are counted too
    unread = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.project_id == project_id, Notification.user_id == user_id, Notification.read_at.is_(None)))
    if counter is None:
        session.add(UnreadCount(project_id=project_id, user_id=user_id, unread=unread))
    elif counter.unread != unread:
        counter.unread = unread


def on_change(session, records):
    me = actor(session)
    touched = set()
    for rec in records:
        if rec.type == "member" and rec.op == "create":
            # Every member has a counter from the start, so notifying never races to create one.
            member = session.get(Membership, rec.resource_id)
            touched.add((member.project_id, member.user_id))
        elif rec.type == "notification":
            touched.add((rec.scope_id, rec.audience))
        for user_id, kind, subject_type, subject_id, text in _concerns(session, rec):
            if user_id == me or not _is_member(session, rec.scope_id, user_id):
                continue  # nobody is told of their own doing, and only members are told
            session.add(Notification(project_id=rec.scope_id, user_id=user_id, kind=kind,
                                     subject_type=subject_type, subject_id=subject_id, text=text[:500]))
            touched.add((rec.scope_id, user_id))
    for project_id, user_id in sorted(touched):
        if session.get(Project, project_id) is not None:  # not while the project is being deleted
            recount(session, project_id, user_id)

"""Routes of events (approval workflow) and bookings (capacity-safe under concurrency)."""
from flask import g
from flask.views import MethodView
from sqlalchemy import inspect, select

from pollfeed import (
    ITEM_HEADERS,
    LIST_HEADERS,
    READ_DOC,
    WRITE_DOC,
    Blueprint,
    Conflict,
    PageArgs,
    ValidationFailed,
    resources,
    utcnow,
)

from ..auth import access
from ..auth.access import project_readable, require_project
from ..extensions import db
from .models import DECIDED_FIELDS, Booking, Event
from .schemas import (
    BookingList,
    BookingSchema,
    DecisionSchema,
    EventList,
    EventListArgs,
    EventSchema,
    update_event_schema,
)

blp = Blueprint("events", __name__, description="Events with approval, and bookings.")

#: Who may write: the row's own user, the project's owners or an admin.
EVENT_CREATOR = access.self_or_owner("owner_id", "event's creator")
BOOKER = access.self_or_owner("user_id", "booker")


# The booked-events tag: the caller's bookings and their events' versions and stamps (poll path and view).
BOOKED = resources.Digest(
    lambda project_id, _value, user_id: select(Booking.id, Booking.version, Booking.stamp,
                                               Event.id, Event.version, Event.stamp)
    .join(Event, Event.id == Booking.event_id)
    .where(Booking.project_id == project_id, Booking.user_id == user_id))

BOOK_DOC = {"404": {"description": "Missing or not readable"},
            "409": {"description": "not approved, over, full, or already booked by the caller"}}




def reopen_if_changed(event):
    """An approved event whose time, venue or capacity changed needs a new decision: back to pending.

    (The notifications deriver tells the owners and everyone who booked it.)
    """
    changed = [f for f in DECIDED_FIELDS if inspect(event).attrs[f].history.has_changes()]
    if event.status == "approved" and changed:
        event.status = "pending"
        event.decided_by = event.decided_at = event.decision_reason = None


@blp.route("/projects/<project_id>/events")
class Events(MethodView):
    @blp.scoped_list(EventList, "project_id", query=EventListArgs)
    def get(self, args, project_id):
        """List a project's events; filter by status, owner and date range (overlap with [from, to])."""
        stmt = select(Event).where(Event.project_id == project_id)
        if args["status"]:
            stmt = stmt.where(Event.status == args["status"])
        if args["owner"]:
            stmt = stmt.where(Event.owner_id == args["owner"])
        if args["from_"]:
            stmt = stmt.where(Event.ends_at >= args["from_"])
        if args["to"]:
            stmt = stmt.where(Event.starts_at <= args["to"])
        return resources.list_page(stmt, Event, args)

    @blp.arguments(EventSchema)
    @blp.response(201, EventSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={"404": {"description": "Missing or not readable"}})
    def post(self, data, project_id):
        """Propose an event (any member); it starts `pending` until an owner or admin decides."""
        require_project(project_id)
        event = Event(project_id=project_id, owner_id=g.principal.id, status="pending", booked=0, **data)
        return resources.create(event, "/events/{id}")


@blp.route("/projects/<project_id>/booked-events")
class BookedEvents(MethodView):
    @blp.scoped_list(EventList, "project_id", digest=BOOKED)
    def get(self, args, project_id):
        """The events the caller has booked in this project.

        Its (weak) ETag is a digest of the caller's bookings and those events'
        versions: it moves when one of them changes, is booked or cancelled,
        and not otherwise.
        """
        mine = select(Booking.event_id).where(Booking.project_id == project_id, Booking.user_id == g.principal.id)
        return resources.list_page(select(Event).where(Event.id.in_(mine)), Event, args)


@blp.route("/events/<event_id>")
class EventItem(MethodView):
    @blp.item(EventSchema, Event, id="event_id")
    def get(self, event):
        """Get an event."""
        return resources.ok(event)

    @blp.arguments(update_event_schema)
    @blp.response(200, EventSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={**WRITE_DOC, "403": {"description": "Not the creator, an owner or an admin"},
                        "409": {"description": "capacity below the seats already booked"}})
    def patch(self, data, event_id):
        """Edit an event (its creator, a project owner or an admin).

        Changing an approved event's starts_at, ends_at, venue or capacity sends it back to
        `pending` for a new decision; its owners and bookers are notified. Title and description
        are wording: the approval stands.
        """
        event = resources.write_item(Event, access.readable, EVENT_CREATOR, id=event_id)
        if data.get("ends_at", event.ends_at) < data.get("starts_at", event.starts_at):
            raise ValidationFailed("The request body is not valid.",
                                   errors={"ends_at": ["Must not be before starts_at."]})
        if data.get("capacity", event.capacity) < event.booked:
            raise Conflict(f"{event.booked} seats are booked: capacity cannot go below that.")
        resources.update(event, data)
        reopen_if_changed(event)
        resources.commit(event)
        return resources.ok(event)

    @blp.response(204)
    @blp.doc(responses={**WRITE_DOC, "403": {"description": "Not the creator, an owner or an admin"}})
    def delete(self, event_id):
        """Delete an event and its bookings."""
        event = resources.write_item(Event, access.readable, EVENT_CREATOR, id=event_id)
        resources.delete_each(Booking, Booking.event_id == event_id)
        db.session.delete(event)
        resources.commit(event)


@blp.route("/events/<event_id>/decision")
class Decision(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, EventSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={**WRITE_DOC, "403": {"description": "Not an owner or an admin"},
                        "409": {"description": "Already decided"}})
    def post(self, data, event_id):
        """Approve or reject a pending event (a project owner or an admin); needs If-Match.

        The creator is notified, and their list shows the decision on its next poll.
        """
        event = resources.write_item(Event, access.readable, access.owner, id=event_id)
        if event.status != "pending":
            raise Conflict(f"The event is already {event.status}.")
        event.status = data["decision"]
        event.decision_reason = data["reason"]
        event.decided_by = g.principal.id
        event.decided_at = utcnow()
        resources.commit(event)
        return resources.ok(event)


@blp.route("/events/<event_id>/bookings")
class Bookings(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, BookingList, headers=LIST_HEADERS)
    @blp.doc(responses=READ_DOC)
    def get(self, args, event_id):
        """List an event's bookings."""
        event = resources.find_item(Event, access.readable, id=event_id)
        stmt = select(Booking).where(Booking.event_id == event_id)
        return resources.scoped_page(project_readable, event.project_id, stmt, Booking, args["limit"],
                                     args["after"])

    @blp.response(201, BookingSchema, headers=ITEM_HEADERS)
    @blp.doc(responses=BOOK_DOC)
    def post(self, event_id):
        """Book a seat for the caller. Under the event's row lock: never past capacity, never twice."""
        event = resources.lock_item(Event, access.readable, id=event_id)
        if event.status != "approved":
            raise Conflict(f"The event is {event.status}: only approved events take bookings.",
                           problem_type="event-not-approved")
        if event.ends_at < utcnow():
            raise Conflict("The event is over.", problem_type="event-over")
        if db.session.scalar(select(Booking.id).where(Booking.event_id == event_id,
                                                      Booking.user_id == g.principal.id)):
            raise Conflict("You have already booked this event.", problem_type="already-booked")
        if event.booked >= event.capacity:
            raise Conflict("The event is full.", problem_type="event-full")
        booking = Booking(project_id=event.project_id, event_id=event_id, user_id=g.principal.id)
        db.session.add(booking)
        event.booked += 1
        resources.commit()
        return resources.created(booking, f"/bookings/{booking.id}")


@blp.route("/bookings/<booking_id>")
class BookingItem(MethodView):
    @blp.item(BookingSchema, Booking, id="booking_id")
    def get(self, booking):
        """Get a booking."""
        return resources.ok(booking)

    @blp.response(204)
    @blp.doc(responses={**WRITE_DOC, "403": {"description": "Not the booker, an owner or an admin"}})
    def delete(self, booking_id):
        """Cancel a booking (the booker, a project owner or an admin); the seat is free again."""
        booking = resources.write_item(Booking, access.readable, BOOKER, id=booking_id)
        event = resources.lock_item(Event, id=booking.event_id)
        event.booked -= 1
        db.session.delete(booking)
        resources.commit(booking)

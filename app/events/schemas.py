"""Request and response schemas of events and bookings."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from pollfeed import PageArgs, StrictInteger, Timestamp, VersionedSchema, list_schema

from .models import STATUSES


class EventSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    owner_id = fields.String(dump_only=True, metadata={"description": "the member who created it"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, validate=validate.Length(max=20000))
    venue = fields.String(allow_none=True, validate=validate.Length(max=200))
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(required=True)
    capacity = StrictInteger(required=True, validate=validate.Range(min=1, max=1_000_000))
    status = fields.String(dump_only=True, metadata={"description": "pending, approved or rejected"})
    decision_reason = fields.String(dump_only=True, allow_none=True)
    decided_by = fields.String(dump_only=True, allow_none=True)
    decided_at = Timestamp(dump_only=True, allow_none=True)
    booked = fields.Integer(dump_only=True)
    available = fields.Function(lambda e: e.capacity - e.booked, dump_only=True,
                                metadata={"description": "seats left"})

    @validates_schema
    def _order(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] < data["starts_at"]:
            raise ValidationError("Must not be before starts_at.", "ends_at")


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=2000))

    @validates_schema
    def _reason(self, data, **kwargs):
        if data.get("decision") == "rejected" and not data.get("reason"):
            raise ValidationError("A rejection needs a reason.", "reason")


class EventListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    owner = fields.String(load_default=None, metadata={"description": "only events created by this user id"})
    from_ = Timestamp(load_default=None, data_key="from",
                      metadata={"description": "only events that end at or after this time"})
    to = Timestamp(load_default=None, metadata={"description": "only events that start at or before this time"})


class BookingSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    event_id = fields.String(dump_only=True)
    user_id = fields.String(dump_only=True)


event_schema = EventSchema()
update_event_schema = EventSchema(partial=True)
booking_schema = BookingSchema()
EventList = list_schema(EventSchema, "EventList")
BookingList = list_schema(BookingSchema, "BookingList")

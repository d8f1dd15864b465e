"""Request and response schemas of notifications and unread counts."""
from marshmallow import Schema, fields

from pollfeed import PageArgs, StrictBoolean, Timestamp, VersionedSchema, list_schema

from .models import KINDS


class NotificationSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    user_id = fields.String(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"description": " | ".join(KINDS)})
    subject_type = fields.String(dump_only=True, metadata={"description": "the feed type of what it is about"})
    subject_id = fields.String(dump_only=True)
    text = fields.String(dump_only=True)
    read_at = Timestamp(dump_only=True, allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None, dump_only=True)


class MarkSchema(Schema):
    read = StrictBoolean(required=True)


class UnreadCountSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    user_id = fields.String(dump_only=True)
    unread = fields.Integer(dump_only=True)


class NotificationListArgs(PageArgs):
    unread = fields.Boolean(load_default=None, metadata={"description": "true: only unread; false: only read"})


notification_schema = NotificationSchema()
unread_count_schema = UnreadCountSchema()
NotificationList = list_schema(NotificationSchema, "NotificationList")

"""Request and response schemas of threads and messages."""
from marshmallow import fields, validate

from pollfeed import Timestamp, VersionedSchema, list_schema


class ThreadSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    created_by = fields.String(dump_only=True)
    message_count = fields.Integer(dump_only=True)
    last_message_at = Timestamp(dump_only=True, allow_none=True)


class MessageSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    thread_id = fields.String(dump_only=True)
    author_id = fields.String(dump_only=True)
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))


thread_schema = ThreadSchema()
update_thread_schema = ThreadSchema(partial=True)
message_schema = MessageSchema()
ThreadList = list_schema(ThreadSchema, "ThreadList")
MessageList = list_schema(MessageSchema, "MessageList")

"""Marshmallow fields and the base schema every versioned resource shares."""
import re
from datetime import datetime, timezone

from marshmallow import Schema, fields


def rfc3339(value):
    """A stored naive-UTC datetime as RFC 3339 with a Z suffix."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


class Timestamp(fields.Field):
    """Dumps naive-UTC datetimes as RFC 3339 `...Z`; loads RFC 3339 into naive UTC."""

    default_error_messages = {"invalid": "Not a valid RFC 3339 date-time.",
                              "range": "Out of range: not between years 1 and 9999 in UTC."}

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else rfc3339(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if parsed.tzinfo is None:
            raise self.make_error("invalid")
        try:
            return parsed.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # 9999-12-31T23:59:59-05:00 is past year 9999 in UTC
            raise self.make_error("range") from None


class StrictInteger(fields.Integer):
    """A JSON integer only: no strings, no floats such as 2.6e-42 or 1.0, no booleans."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class QueryInteger(fields.Integer):
    """An integer in a query string: ASCII digits, with an optional minus sign, and nothing else (Python's
    int() would also take " 1", "1\\r", "+1" and "1_0")."""

    def _validated(self, value):
        if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+", value):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """A JSON true or false only: not 0, 1, "yes" or "true" (bodies are JSON; query strings keep fields.Boolean)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class VersionedSchema(Schema):
    """id, version, ETag and timestamps: read-only, so a client that sends them gets 422."""

    id = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    # A list's items carry their own tags: a client that shows an item from a list writes with it
    # (If-Match), and the tag is not a function of the version alone (pollfeed.stamps).
    etag = fields.String(dump_only=True, metadata={"description": "this version's ETag, as the item's own GET "
                                                                  "sends it: send it as If-Match to write"})
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)

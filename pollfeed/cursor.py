"""Opaque cursors: '<epoch>.<position in base36>.<stamp in base36>'.

The epoch names the database a cursor comes from; the stamp is the one its position's transaction
drew (pollfeed.stamps), so a cursor names one history, not just a number. Answers for a cursor this
database cannot follow (docs/http-api.md, the change feed):
- malformed: 400 `bad-cursor`;
- older than the horizon: 410 `cursor-expired`;
- well-formed, but from another epoch, beyond the head, or naming a position whose transaction has
  another stamp here: 410 `cursor-unknown`, so that clients re-list by themselves.

The last case is a restore from a backup: the restored database hands out again positions that
old cursors have already passed, with new stamps. Such a cursor is refused by itself, with no
operator step; a forged cursor is refused the same way and harms only its sender (no global
rotation, which any caller could otherwise trigger). A cursor of the form before stamps existed
(no third part) is foreign too: its client re-lists once.
"""
import re
from dataclasses import dataclass

from .problems import BadRequest, Problem
from .stamps import base36

_EPOCH, _POSITION, _STAMP = r"[0-9a-z]{1,16}", r"[0-9a-z]{1,13}", r"[0-9a-z]{1,10}"
_FORM = re.compile(rf"^({_EPOCH})\.({_POSITION})(?:\.({_STAMP}))?$")

#: What `parse` accepts, as a JSON Schema `pattern` (ECMA-262), and unanchored (FORM) for a larger pattern
#: (`since` takes `now` too). The OpenAPI document declares it wherever a cursor is taken or given, so a
#: client or a fuzzer can tell a malformed cursor (400) from a well-formed one this database cannot follow (410).
FORM = rf"{_EPOCH}\.{_POSITION}(?:\.{_STAMP})?"
PATTERN = f"^{FORM}$"


class BadCursor(BadRequest):
    problem_type = "bad-cursor"


class CursorUnknown(Problem):
    code = 410
    problem_type = "cursor-unknown"

    def __init__(self, detail):
        super().__init__(detail + " Re-list the resource and follow the list's `cursor` from there.")


class CursorExpired(Problem):
    code = 410
    problem_type = "cursor-expired"

    def __init__(self):
        super().__init__(
            "This cursor is older than the oldest retained change. Re-list the resource "
            "and follow the list's `cursor` from there."
        )


def encode(epoch, position, stamp):
    """The cursor of `position`, whose transaction drew `stamp`."""
    return f"{epoch}.{base36(position)}.{base36(stamp)}"


@dataclass(frozen=True, slots=True)
class Cursor:
    epoch: str
    position: int
    stamp: int | None  # None: a cursor from before stamps existed


#: The largest position a log can hold (a 64-bit signed integer in SQL).
_LAST = 2**63 - 1


def parse(text):
    """The cursor's parts, without the database; BadCursor if malformed.

    A well-formed position past `_LAST` (13 base-36 digits reach further) reads as `_LAST`: no log gets
    there, so it is beyond the head all the same (410, by `follow`), and no statement is handed a number
    its database cannot hold.
    """
    m = _FORM.match(text or "")
    if not m:
        raise BadCursor("Malformed cursor.")
    return Cursor(m.group(1), min(int(m.group(2), 36), _LAST), None if m.group(3) is None else int(m.group(3), 36))


def follow(cursor, bounds, stamp_at):
    """The position `cursor` (parsed) names, if this database can continue from it.

    `bounds` is the log's state (feed.LogBounds) and `stamp_at` the stamp of the change at the cursor's
    position, both read by one statement; a cursor at the horizon is checked against the horizon's stamp,
    since the change there was compacted away. Raises CursorUnknown or CursorExpired.
    """
    if cursor.epoch != bounds.epoch:
        raise CursorUnknown("This cursor comes from another state of the database (a new one, or rotated).")
    if cursor.position > bounds.head:
        raise CursorUnknown("This cursor is beyond the head of the change feed (the database was restored?).")
    if cursor.position < bounds.horizon:
        raise CursorExpired()
    expected = bounds.horizon_stamp if cursor.position == bounds.horizon else stamp_at
    if cursor.stamp is None or cursor.stamp != expected:
        raise CursorUnknown("This cursor names a change this database does not hold (restored from a backup?).")
    return cursor.position

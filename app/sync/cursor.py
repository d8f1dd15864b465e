"""Opaque cursors: '<epoch>.<position in base36>'; the epoch names the database that issued it."""
import re

from .problems import BadRequest

_FORM = re.compile(r"^([0-9a-z]{1,16})\.([0-9a-z]{1,13})$")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class BadCursor(BadRequest):
    problem_type = "bad-cursor"


def encode(epoch, position):
    if position < 0:
        raise ValueError(f"a position is never negative: {position}")
    n, out = position, ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if not n:
            return f"{epoch}.{out}"


def decode(text, epoch, head):
    """The position a cursor names; BadCursor if malformed, foreign, or beyond the head."""
    m = _FORM.match(text or "")
    if not m or m.group(1) != epoch:
        raise BadCursor("Malformed cursor, or one this server never issued.")
    position = int(m.group(2), 36)
    if position > head:
        raise BadCursor("Cursor is beyond the head of the change feed: this server never issued it.")
    return position

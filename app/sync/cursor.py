"""Opaque cursors: '<epoch>.<position in base36>'; the epoch names the database state that issued it.

Three answers for a cursor this database cannot follow (API.md, section 3):
- malformed: 400 `bad-cursor`;
- older than the horizon: 410 `cursor-expired` (feed.CursorExpired);
- well-formed, but from another epoch or beyond the head, as after a restore from backup, a failover,
  or a new database: 410 `cursor-unknown`, so that clients re-list by themselves.

After a restore, run `flask changes rotate-epoch` (maintenance.rotate_epoch): the restored database
would hand out again positions that old cursors have already passed, and a cursor that is "valid"
again would skip them. A new epoch makes every old cursor foreign instead. Why not automatic: cursors
are not signed, so a cursor beyond the head proves nothing (anyone can write one), and letting it
rotate the epoch would let any caller make every dashboard re-list. A cursor beyond the head is
logged as a warning naming the command.
"""
import logging
import re

from .problems import BadRequest, Problem

log = logging.getLogger("pollfeed.feed")

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


class CursorUnknown(Problem):
    code = 410
    problem_type = "cursor-unknown"

    def __init__(self, detail):
        super().__init__(detail + " Re-list the resource and follow the list's `cursor` from there.")


def decode(text, epoch, head):
    """The position a cursor names; BadCursor if malformed, CursorUnknown if foreign or beyond the head."""
    m = _FORM.match(text or "")
    if not m:
        raise BadCursor("Malformed cursor.")
    if m.group(1) != epoch:
        raise CursorUnknown("This cursor comes from another state of the database (a restore, or a new one).")
    position = int(m.group(2), 36)
    if position > head:
        log.warning("a cursor beyond the feed's head (%d > %d): if the database was restored from a backup, "
                    "run `flask changes rotate-epoch`", position, head)
        raise CursorUnknown("This cursor is beyond the head of the change feed (the database was restored?).")
    return position

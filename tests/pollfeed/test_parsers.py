"""Property tests (Hypothesis) for the parsers the server owns: cursors, ETags, timestamps,
strict integers and booleans, `types`, `limit`. Each either parses or refuses cleanly: never a 500."""
import string
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from app.extensions import db
from pollfeed import cursor as cursors
from pollfeed.feed import LogBounds
from pollfeed.fields import StrictBoolean, StrictInteger, Timestamp, rfc3339
from pollfeed.versioned import models

MODELS = models(db.metadata)

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
EPOCH = st.text(alphabet=string.digits + string.ascii_lowercase, min_size=1, max_size=16)


STAMP = st.integers(min_value=1, max_value=2**48 - 1)


def bounds(epoch, head, horizon=0, stamp=1, horizon_stamp=2):
    return LogBounds(head, horizon, epoch, stamp, horizon_stamp)


@given(epoch=EPOCH, position=st.integers(min_value=1, max_value=2**63 - 1), stamp=STAMP)
def test_a_cursor_round_trips(epoch, position, stamp):
    text = cursors.encode(epoch, position, stamp)
    assert set(text) <= set(string.ascii_letters + string.digits + "-_.~")
    parsed = cursors.parse(text)
    assert (parsed.epoch, parsed.position, parsed.stamp) == (epoch, position, stamp)
    assert cursors.follow(parsed, bounds(epoch, position), stamp) == position
    assert cursors.follow(parsed, bounds(epoch, position + 5), stamp) == position


@given(epoch=EPOCH, position=st.integers(min_value=2**63, max_value=36**13 - 1), stamp=STAMP)
def test_a_position_no_log_can_hold_is_beyond_the_head(epoch, position, stamp):
    """Well-formed, but past a 64-bit log position: 410 like any cursor beyond the head, never a number
    handed to the database that it cannot hold (a 500)."""
    parsed = cursors.parse(cursors.encode(epoch, position, stamp))
    assert parsed.position == 2**63 - 1
    with pytest.raises(cursors.CursorUnknown):
        cursors.follow(parsed, bounds(epoch, 10**12), stamp)


@given(text=st.text(max_size=40), epoch=EPOCH, head=st.integers(min_value=0, max_value=10**12), stamp=STAMP)
def test_any_text_parses_or_is_a_bad_cursor_and_follows_or_is_refused(text, epoch, head, stamp):
    try:
        position = cursors.follow(cursors.parse(text), bounds(epoch, head), stamp)
    except (cursors.BadCursor, cursors.CursorUnknown, cursors.CursorExpired):
        return
    assert 0 <= position <= head and text.startswith(epoch + ".")


@given(epoch=EPOCH, position=st.integers(min_value=1, max_value=10**9), stamp=STAMP)
def test_a_cursor_beyond_the_head_of_another_epoch_or_stamp_is_unknown(epoch, position, stamp):
    parsed = cursors.parse(cursors.encode(epoch, position, stamp))
    with pytest.raises(cursors.CursorUnknown):
        cursors.follow(parsed, bounds(epoch, position - 1), stamp)
    with pytest.raises(cursors.CursorUnknown):
        cursors.follow(parsed, bounds(epoch + "x" if len(epoch) < 16 else "z", position), stamp)
    # the position's transaction drew another stamp here: a restored database wrote it afresh
    with pytest.raises(cursors.CursorUnknown):
        cursors.follow(parsed, bounds(epoch, position + 1), stamp + 1)
    # the form from before stamps existed is foreign: its client re-lists
    with pytest.raises(cursors.CursorUnknown):
        cursors.follow(cursors.parse(f"{epoch}.{cursors.base36(position)}"), bounds(epoch, position), stamp)


@given(epoch=EPOCH, horizon=st.integers(min_value=1, max_value=10**9))
def test_a_cursor_at_the_horizon_is_checked_against_the_horizons_stamp(epoch, horizon):
    at_horizon = cursors.parse(cursors.encode(epoch, horizon, 7))
    assert cursors.follow(at_horizon, bounds(epoch, horizon + 3, horizon, horizon_stamp=7), None) == horizon
    with pytest.raises(cursors.CursorUnknown):
        cursors.follow(at_horizon, bounds(epoch, horizon + 3, horizon, horizon_stamp=8), 7)
    with pytest.raises(cursors.CursorExpired):
        cursors.follow(cursors.parse(cursors.encode(epoch, horizon - 1, 7)), bounds(epoch, horizon + 3, horizon), 7)


class Body(Schema):
    n = StrictInteger()
    b = StrictBoolean()
    t = Timestamp()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=5)


@given(value=JSON)
def test_strict_integer_takes_json_integers_only(value):
    try:
        loaded = Body().load({"n": value})["n"]
    except ValidationError:
        assert not (isinstance(value, int) and not isinstance(value, bool))
        return
    assert type(value) is int and loaded == value


@given(value=JSON)
def test_strict_boolean_takes_true_and_false_only(value):
    try:
        loaded = Body().load({"b": value})["b"]
    except ValidationError:
        assert not isinstance(value, bool)
        return
    assert loaded is value


OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS))
def test_a_timestamp_with_an_offset_loads_as_naive_utc(moment):
    text = moment.isoformat()
    try:
        loaded = Body().load({"t": text})["t"]
    except ValidationError as exc:  # only when UTC would leave years 1..9999
        assert "Out of range" in str(exc) or "Not a valid" in str(exc)
        return
    assert loaded.tzinfo is None
    assert loaded.replace(tzinfo=timezone.utc) == moment
    assert rfc3339(loaded).endswith("Z")


@given(text=st.text(max_size=40))
def test_any_text_is_a_timestamp_or_a_validation_error(text):
    try:
        loaded = Body().load({"t": text})["t"]
    except ValidationError:
        return
    assert isinstance(loaded, datetime) and loaded.tzinfo is None


@given(offset=st.integers(min_value=1, max_value=23))
def test_timestamps_past_the_calendar_in_utc_are_out_of_range(offset):
    for text in (f"9999-12-31T23:59:59-{offset:02d}:00", f"0001-01-01T00:00:00+{offset:02d}:00"):
        with pytest.raises(ValidationError, match="Out of range"):
            Body().load({"t": text})
    assert Body().load({"t": "2031-01-01T00:00:00+01:00"})["t"] == datetime(2030, 12, 31, 23) + timedelta(0)


# --- through the HTTP layer: query parameters and conditional headers -------------------------------

@FAST
@given(limit=st.one_of(st.integers(min_value=-5, max_value=1005).map(str), st.text(max_size=6)))
def test_limit_is_1_to_1000_else_400(alice, limit):
    r = alice.get("/changes?since=now&limit=" + urllib.parse.quote(limit))
    ok = limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 1000
    assert r.status_code == (200 if ok else 400), (limit, r.status_code)


@FAST
@given(names=st.lists(st.sampled_from(sorted(MODELS) + ["nope", "", "Task", "task "]), min_size=1, max_size=4))
def test_types_is_a_comma_list_of_known_types_else_400(alice, names):
    r = alice.get("/changes?since=now&types=" + urllib.parse.quote(",".join(names)))
    assert r.status_code == (200 if set(names) <= set(MODELS) else 400), names


HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=60)


@FAST
@given(header=st.one_of(HEADER_TEXT, st.lists(st.sampled_from(['"v1"', 'W/"v1"', '"v2"', "*", '"l1"', "W/",
                                                                 '""', ",", " "]), max_size=4).map(", ".join)))
def test_any_if_none_match_or_if_match_is_answered_without_error(alice, board, header):
    path = f"/tasks/{board['task']['id']}"  # "v1" in a sample stands for its current tag
    current = alice.get(path).headers["ETag"]
    header = header.replace('"v1"', current)
    r = alice.get(path, headers={"If-None-Match": header})
    assert r.status_code in (200, 304)
    tags = [t.strip() for t in header.split(",")]
    star = header.strip() == "*"  # RFC 9110: "*" stands alone, never in a list of tags
    if current in tags or f"W/{current}" in tags or star:
        assert r.status_code == 304, header
    w = alice.get(path, headers={"If-Match": header})
    assert w.status_code in (200, 412)
    if current in tags or f"W/{current}" in tags or star:  # the weak form too: a gzipping proxy's (docs/http-api.md)
        assert w.status_code == 200, header
    elif tags and all(t in ('"v2"', '"l1"') for t in tags):
        assert w.status_code == 412, header

"""Changes since a cursor: visibility by access periods, a per-caller watermark, filters, paging."""
import json
from collections import namedtuple
from dataclasses import dataclass

from sqlalchemy import BigInteger, String, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from . import cursor as cursors
from .callers import Asker
from .changelog import Change, FeedAccess, FeedState, Watermark, text_id
from .conditional import check_read
from .etags import feed_tag
from .fields import rfc3339
from .lookup import cached
from .problems import NotFound
from .state import app_state, db
from .versioned import logged_id, models, private_key, typed_id

#: What a page shows of a change (docs/http-api.md), in this order: the columns the page statements select.
#: (Not who made it, nor its audience, which the statement filters on: a page fetches only these.)
PAGE_COLUMNS = ("position", "type", "resource_id", "scope_id", "op", "version", "fields", "at", "stamp")
ChangeRow = namedtuple("ChangeRow", PAGE_COLUMNS)


@dataclass(frozen=True)
class LogBounds:
    """The log's extent as one statement read it: its newest position, its compaction horizon, its epoch,
    and the stamps of the head's and the horizon's transactions."""

    head: int
    horizon: int
    epoch: str
    stamp: int
    horizon_stamp: int


#: The columns every feed-state statement starts with, in this order (FeedStateRow names them): the
#: log's bounds, the caller's visible watermark and its stamp, and the stamp of the change at the
#: position bound as `at` (a cursor's), each read in the one statement.
STATE_COLUMNS = ("head", "horizon", "epoch", "stamp", "horizon_stamp", "upto", "upto_stamp", "at_stamp")
FeedStateRow = namedtuple("FeedStateRow", STATE_COLUMNS)


def scope_position(scope_key):
    """A scope key's watermark: the position of its newest change (0 if none)."""
    w = Watermark.__table__.c
    return func.coalesce(select(w.position).where(w.scope_key == scope_key).scalar_subquery(), 0)


def scope_stamp(scope_key):
    """The stamp of a scope key's watermark (None if it has none)."""
    w = Watermark.__table__.c
    return select(w.stamp).where(w.scope_key == scope_key).scalar_subquery()


def stamp_at(position):
    """The stamp of the change at `position` (a SQL expression), None if there is none (compacted, or 0)."""
    c = Change.__table__.c
    return select(c.stamp).where(c.position == position).scalar_subquery()


def state_columns(visible, at):
    """STATE_COLUMNS as SQL, labelled by their names, for the caller's `visible` watermark and the cursor
    position `at`."""
    st = FeedState.__table__.c
    columns = [st.head, st.horizon, st.epoch, st.stamp, st.horizon_stamp, visible, stamp_at(visible), stamp_at(at)]
    return [column.label(name) for column, name in zip(columns, STATE_COLUMNS, strict=True)]


def state_of(row):
    """The FeedStateRow of a row that selected state_columns (read by name)."""
    return FeedStateRow._make(getattr(row, name) for name in STATE_COLUMNS)


def mark(position, stamp, horizon, horizon_stamp):
    """(position, stamp) of what a list is consistent with: its watermark, or the horizon if that is
    newer (a scope whose newest change was compacted away)."""
    return (position, stamp) if position > horizon else (horizon, horizon_stamp)


def _two_way(name, sqlite_name):
    """A SQL function of two BIGINT arguments: `name` (PostgreSQL's greatest, least), `sqlite_name`
    (SQLite's two-argument max, min) on SQLite."""
    function = type(name, (FunctionElement,), {"type": BigInteger(), "inherit_cache": True})
    compiles(function)(lambda element, compiler, **kw: f"{name}({compiler.process(element.clauses, **kw)})")
    compiles(function, "sqlite")(
        lambda element, compiler, **kw: f"{sqlite_name}({compiler.process(element.clauses, **kw)})")
    return function


greatest = _two_way("greatest", "max")
least = _two_way("least", "min")


_OPEN_END = 2**62


def reader_watermark(principal_id, scope=None):
    """The newest position a reader (not an admin) can see: over the principal's access periods (to one
    scope, if given), the newer of the scope's watermark and the principal's private watermark in it,
    capped at the period's end (changes after their access ended never move it). `principal_id` and
    `scope` are SQL expressions
    (bind parameters, or columns of an enclosing statement).

    Each watermark is an index lookup per access period, so the cost follows the caller's own periods.
    (A join on `scope_key = scope OR scope_key = private key` made PostgreSQL compare every watermark of
    every tenant with each period.)
    """
    a = FeedAccess.__table__.c
    newest = greatest(scope_position(a.scope_id), scope_position(private_key(a.scope_id, a.principal_id)))
    # correlate_except: `principal_id` may be a column of a statement more than one level out (the poll path's
    # principal, seen from within feed.stamp_at), which auto-correlation would not reach.
    stmt = select(func.coalesce(func.max(least(newest, func.coalesce(a.end_pos, literal(_OPEN_END)))), 0)).where(
        a.principal_id == principal_id).correlate_except(FeedAccess.__table__)
    if scope is not None:
        stmt = stmt.where(a.scope_id == scope)
    return stmt.scalar_subquery()


def visible_watermark(is_admin, scoped, principal_id, scope=None, admin_scope=None, own=None):
    """The newest position a caller can see, optionally within one scope: an admin's is the head (or
    the scope's watermarks), a reader's is reader_watermark.

    `is_admin` is a bool where the statement is built for one kind of caller (the Flask path's), else SQL
    (the poll path's principal's column); `principal_id` is SQL, text as the log keeps ids. Within one
    scope: `scope` for the reader's periods, `admin_scope` and `own` (the caller's private key in it) for
    an admin's watermarks, each a bind or expression of its own, as PostgreSQL deduces one type per
    parameter."""
    w, st = Watermark.__table__.c, FeedState.__table__.c
    reader = reader_watermark(principal_id, scope if scoped else None)
    if not scoped:
        admin = select(st.head).where(st.id == 1).scalar_subquery()
    else:
        # correlate_except, as in reader_watermark: `own` may hold a column of a statement more than one
        # level out (the poll path's principal, seen from within feed.stamp_at)
        admin = select(func.coalesce(func.max(w.position), 0)).where(w.scope_key.in_([admin_scope, own])
                                                                     ).correlate_except(Watermark.__table__
                                                                                        ).scalar_subquery()
    if isinstance(is_admin, bool):
        return admin if is_admin else reader
    return case((is_admin, admin), else_=reader)


class FeedQuery:
    """The feed page's tag query (see pollfeed.queries): the log's state and the asker's visible
    watermark (STATE_COLUMNS), then, filtered by a scope, access_end, in one statement that both paths
    run: the Flask view (prepare, which adds the reader's access periods for the page) and the poll path
    (with the token's row joined in). `decide` makes the page's span and tag from its row."""

    @staticmethod
    def statement(who, scoped):
        """The statement for `who` (a pollfeed.callers.Asker). Binds: f_at (the cursor's position), f_scope..f_scope4
        (the scope filter: a bind per place it goes in, as PostgreSQL deduces one type per parameter)."""
        st = FeedState.__table__.c
        principal, scope = logged_id(who.principal_id), bindparam("f_scope", type_=String)
        visible = visible_watermark(who.shape, scoped, principal, scope, bindparam("f_scope2", type_=String),
                                    private_key(bindparam("f_scope3", type_=String), principal))
        follow = [access_end(bindparam("f_scope4", type_=String), principal, who.shape).label("access_end")
                  ] if scoped else []
        return select(*state_columns(visible, bindparam("f_at", type_=BigInteger)), *follow).where(st.id == 1)

    @staticmethod
    def params(scope, at):
        return {"f_at": at, "f_scope": scope, "f_scope2": scope, "f_scope3": scope, "f_scope4": scope}

    @staticmethod
    def decide(row, query, parsed, principal_id, is_admin):
        """(LogBounds, Span, tag) of the page `query` asks for (its `since` parsed by at_position), from the
        statement's row. Raises CursorUnknown or CursorExpired (410), and NotFound for a scope the caller
        may not follow from the cursor."""
        state, page_span = span(query.since, parsed, state_of(row))
        if query.scope is not None and not can_follow(is_admin, row.access_end, page_span.since):
            raise NotFound()
        return state, page_span, page_tag(principal_id, is_admin, query, state, page_span)


def _state_statement(is_admin, scoped):
    """FeedQuery's statement for the Flask path; a reader's also selects their access periods (scope, start,
    end), one per row, by an outer join (a caller with none gets one row whose period columns are NULL):
    the page's ranges are computed from these rows, one round trip for the state and the periods."""
    stmt = FeedQuery.statement(Asker(bindparam("f_uid", type_=String), is_admin, is_admin), scoped)
    if is_admin:
        return stmt
    # An alias of its own: the watermark's subqueries read feed_access too, and must not be correlated to it.
    period = FeedAccess.__table__.alias("period")
    a = period.c
    on = a.principal_id == bindparam("f_uid", type_=String)
    if scoped:
        on = on & (a.scope_id == bindparam("f_scope", type_=String))
    return (stmt.add_columns(a.scope_id.label("period_scope"), a.start_pos.label("period_start"),
                             a.end_pos.label("period_end"))
            .select_from(FeedState.__table__.outerjoin(period, on)))


def _ranges(periods, since, upto):
    """The (scope, after, upto) position ranges the caller may read within (since, upto]: one per access
    period (scope, start, end), or None for an admin (periods None: every scope is theirs)."""
    if periods is None:
        return None
    ranges = []
    for scope, start, end in periods:
        lo, hi = max(since, start - 1), upto if end is None else min(upto, end)
        if hi > lo:
            ranges.append((scope, lo, hi))
    return ranges


def _page_statement(admin, scoped, n_ranges, types):
    """The page's SELECT for one shape: an admin's global range (optionally one scope), or one
    (scope_id, position) index range per access period, each cut at the limit, merged by position.
    Binds: uid, n (limit + 1), since/upto/scope (admin), s<i>/lo<i>/hi<i> (per range)."""
    c = Change.__table__.c
    columns = [c[name] for name in PAGE_COLUMNS]
    common = [c.audience.is_(None) | (c.audience == bindparam("uid"))]
    quiet = quiet_types()
    if types:  # as single binds with their values, not an expanding IN: a Lookup runs it as compiled
        common.append(c.type.in_([literal(t, String) for t in types]))
    elif quiet:
        common.append(c.type.not_in([literal(t, String) for t in quiet]))
    n = bindparam("n")
    if admin:
        stmt = select(*columns).where(c.position > bindparam("since"), c.position <= bindparam("upto"), *common)
        if scoped:
            stmt = stmt.where(c.scope_id == bindparam("scope"))
        return stmt.order_by(c.position).limit(n)
    parts = [select(*columns).where(c.scope_id == bindparam(f"s{i}"), c.position > bindparam(f"lo{i}"),
                                            c.position <= bindparam(f"hi{i}"), *common)
             .order_by(c.position).limit(n).subquery() for i in range(n_ranges)]
    if n_ranges == 1:
        return select(parts[0])
    merged = union_all(*(select(p) for p in parts)).subquery()
    return select(merged).order_by(merged.c.position).limit(n)


def _page(principal, periods, query, since, upto):
    """Up to limit+1 visible changes after `since`, in position order, as raw rows of PAGE_COLUMNS,
    and the function that puts one through the column types.

    Driven from the caller's scopes, not from the global position range: one
    index range of (scope_id, position) per access period, each cut at
    limit+1, merged by position. A page costs what the caller's own changes
    cost, however much history other tenants have. An admin reads every scope:
    the global range (filtered by scope when asked) is theirs. Each shape of
    statement is built and compiled once (see Lookup).
    """
    ranges = _ranges(periods, since, upto)
    if ranges == []:
        return [], None
    admin, scoped = ranges is None, query.scope is not None
    shape = (admin, scoped, 0 if admin else len(ranges), query.types)
    lookup = cached(("feed page", *shape), lambda: _page_statement(*shape))
    params = {"uid": principal.id, "n": query.limit + 1, "since": since, "upto": upto, "scope": query.scope}
    for i, (scope, lo, hi) in enumerate(ranges or ()):
        params.update({f"s{i}": scope, f"lo{i}": lo, f"hi{i}": hi})
    return lookup.raw(**params)


def access_end(scope, principal_id, is_admin):
    """The newest end of the caller's access periods to `scope`, as SQL (an open period: the far future;
    an admin's: over every reader's periods), NULL if there is none: what can_follow decides from.
    Both paths select it in their one feed-state statement: the Flask path with binds for the caller,
    the poll path with its principal's columns (`is_admin` a column there, a bool here).

    Only scope ids qualify: access periods are kept per scope, so a private watermark's key
    (`<scope>/<principal>`) matches none, for admins neither.
    """
    a = FeedAccess.__table__.c
    stmt = select(func.max(func.coalesce(a.end_pos, literal(_OPEN_END)))).where(a.scope_id == scope)
    if isinstance(is_admin, bool):
        if not is_admin:
            stmt = stmt.where(a.principal_id == principal_id)
    else:
        stmt = stmt.where(or_(is_admin, a.principal_id == principal_id))
    return stmt.scalar_subquery()


def can_follow(is_admin, newest_end, since):
    """Whether the caller may filter the feed by a scope from `since` (else 404), from access_end: a
    reader with an access period to it open at `since`, an admin if the scope ever had a reader."""
    return newest_end is not None and (is_admin or newest_end > since)


def quiet_types():
    """Types delivered only when asked for by name (see Versioned.__feed_default__)."""
    return sorted(name for name, model in models().items() if not model.__feed_default__)


@dataclass
class Query:
    since: str | None = None
    limit: int = 100
    scope: str | None = None  # the scope filter (`?<scope>=` on the wire, Pollfeed(scope=...))
    types: tuple = ()
    include_resource: bool = False


@dataclass(frozen=True)
class Span:
    """What a page spans: the changes after `since` up to `upto`, each a position with its stamp
    (`upto_stamp` is None when `upto` names no retained change, which leaves the page empty)."""

    since: int
    since_stamp: int
    upto: int
    upto_stamp: int | None

    def next(self):
        """(position, stamp) of the page's `next` when it holds every change up to `upto`."""
        return (self.upto, self.upto_stamp) if self.upto > self.since else (self.since, self.since_stamp)


def at_position(since_text):
    """(the parsed cursor or None, the position to bind as `at`): BadCursor (400) if malformed."""
    if since_text is None or since_text == "now":
        return None, -1
    parsed = cursors.parse(since_text)
    return parsed, parsed.position


def span(since_text, parsed, row):
    """(LogBounds, Span) from a FeedStateRow, for the query's `since` (parsed by at_position). Raises
    CursorUnknown or CursorExpired (410) for a cursor this database cannot continue. The one rule for
    both paths: the Flask view (prepare) and the poll path (pollfeed.poll) call it with the same row."""
    state = LogBounds(row.head, row.horizon, row.epoch, row.stamp, row.horizon_stamp)
    if since_text is None:
        return state, Span(state.horizon, state.horizon_stamp, row.upto, row.upto_stamp)
    if since_text == "now":
        return state, Span(state.head, state.stamp, state.head, state.stamp)
    return state, Span(cursors.follow(parsed, state, row.at_stamp), parsed.stamp, row.upto, row.upto_stamp)


def page_tag(principal_id, is_admin, query, state, span):
    """The page's ETag (etags.feed_tag), from what both paths know before reading any change."""
    return feed_tag(principal_id, is_admin, query, cursors.encode(state.epoch, span.since, span.since_stamp),
                    span.upto, span.upto_stamp, state.horizon)


def prepare(principal, query):
    """Decide the page's bounds and ETag without reading any change: (span, etag, state, periods),
    periods being the caller's access periods (None for an admin, who reads every scope)."""
    scoped, admin = query.scope is not None, bool(principal.is_admin)
    parsed, at = at_position(query.since)
    lookup = cached(("feed state", admin, scoped), lambda: _state_statement(admin, scoped))
    params = {"f_uid": principal.id, **FeedQuery.params(query.scope, at)}
    if admin:
        row, periods = lookup.first(**params), None
    else:
        rows = lookup.rows(**params)
        row = rows[0]
        periods = [(r.period_scope, r.period_start, r.period_end) for r in rows if r.period_scope is not None]
    state, page_span, etag = FeedQuery.decide(row, query, parsed, principal.id, admin)
    check_read(etag)
    return page_span, etag, state, periods


def _change(epoch, r, scope_field):
    """One change as the page shows it (docs/http-api.md), from a processed ChangeRow; the scope's id is
    `scope_field` on the wire (`<scope>_id`, Pollfeed(scope=...))."""
    return {
        "cursor": cursors.encode(epoch, r.position, r.stamp),
        "type": r.type,
        "id": r.resource_id,
        scope_field: r.scope_id,
        "op": r.op,
        "version": r.version,
        "fields": list(r.fields or ()),
        "at": rfc3339(r.at),
    }


#: Serialised changes are remembered per app (AppState.serialised), keyed by the epoch and the whole raw
#: row (every column the JSON is made of). A logged change never changes (the log is append-only), so an
#: entry can only be reused for a row equal in every column it shows: it is never stale, not even if a
#: restore hands a position out again. Many dashboards read the same recent changes: each is turned into
#: JSON once per worker, not once per poll.
_SERIALISED_MAX = 65536
_POSITION = ChangeRow._fields.index("position")
_FIELDS = ChangeRow._fields.index("fields")
_STAMP = ChangeRow._fields.index("stamp")


def _serialised(memo, epoch, raw, process, scope_field):
    key = raw if type(raw) is tuple else tuple(raw)
    if type(key[_FIELDS]) is list:  # PostgreSQL's driver decodes `fields` (json) into a list
        key = (*key[:_FIELDS], tuple(key[_FIELDS]), *key[_FIELDS + 1:])
    key = (epoch, scope_field, key)
    found = memo.get(key)
    if found is None:
        if len(memo) >= _SERIALISED_MAX:
            memo.clear()
        found = memo[key] = _JSON.encode(_change(epoch, ChangeRow(*process(raw)), scope_field))
    return found


_JSON = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def read(principal, query, scope_field="scope_id"):
    """The feed page and its ETag. The page is JSON text, its changes serialised once (see
    _serialised); with include=resource, a JSON-ready dict (each change joined to a current row)."""
    page_span, etag, state, periods = prepare(principal, query)
    rows, process = [], None
    if query.since != "now" and page_span.upto > page_span.since:
        rows, process = _page(principal, periods, query, page_span.since, page_span.upto)
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = cursors.encode(state.epoch, *((rows[-1][_POSITION], rows[-1][_STAMP]) if has_more
                                                 else page_span.next()))
    if query.include_resource:
        changes = [_change(state.epoch, ChangeRow(*process(raw)), scope_field) for raw in rows]
        if changes:
            _embed(principal, changes)
        return {"changes": changes, "next": next_cursor, "has_more": has_more}, etag
    memo = app_state().serialised
    changes = ",".join(_serialised(memo, state.epoch, raw, process, scope_field) for raw in rows)
    tail = _JSON.encode({"has_more": has_more, "next": next_cursor})
    return f'{{"changes":[{changes}],{tail[1:]}', etag


def _embed(principal, changes):
    """include=resource: the current representation, or null if deleted or no longer readable."""
    readable = None
    if not principal.is_admin:
        a = FeedAccess.__table__.c
        readable = set(
            db.session.scalars(select(a.scope_id).where(a.principal_id == principal.id, a.end_pos.is_(None)))
        )
    ext = app_state()
    types, representations = models(ext.db.metadata), ext.representations()
    by_type = {}
    for ch in changes:
        by_type.setdefault(ch["type"], set()).add(ch["id"])
    current = {}
    for type_name, ids in by_type.items():
        model, dump = types.get(type_name), representations.get(type_name)
        if model is None or dump is None:
            continue
        # ids are text on the wire (and in the log): back to the column's own type for the query
        keys = [typed_id(model.id, i) for i in ids]
        for obj in db.session.scalars(select(model).where(model.id.in_(keys))):
            scope, audience = text_id(obj.scope_id), text_id(obj.audience_id)
            if (readable is None or scope in readable) and audience in (None, principal.id):
                current[(type_name, str(obj.id))] = dump(obj)
    for ch in changes:
        ch["resource"] = current.get((ch["type"], ch["id"]))

"""What a pollable GET declares, and the Flask path it serves from the declaration.

A declaration marks the view (`view.__poll__`) and owns its tag query (pollfeed.queries). Its Flask
view runs that query first, with the request's caller (pollfeed.resources: read_declared, list_state,
caller_state): 404 and 304 are decided there, before the view's own code, which then loads the row or the
page only for a 200. The poll path (pollfeed.poll.middleware) finds the same declaration through Flask's
url_map and runs the same query with the token's row joined in (pollfeed.poll.statements).
"""
import functools
from dataclasses import dataclass
from typing import Any

from ..callers import PrincipalSource
from ..queries import PRINCIPAL, CallerQuery, FeedQuery, ItemQuery, ScopeQuery
from ..resources import caller_state, list_state, read_declared

__all__ = ["PRINCIPAL", "CallerList", "Feed", "Item", "PrincipalSource", "ScopedList", "caller_list", "feed",
           "item", "scoped_list"]


@dataclass(frozen=True)
class Item:
    """GET of one versioned row; `tags` (a queries.ItemQuery) names its model and keys."""

    tags: ItemQuery
    optional: bool = False
    #: How the route's response schema dumps a row (given by a Blueprint's item): the feed embeds the
    #: model's changes with it (`?include=resource`) unless the app declared pf.represent for its type.
    dump: Any = None
    query = None  # items take no query arguments (Flask ignores them too)


@dataclass(frozen=True)
class ScopedList:
    """GET of a list within the scope named by the URL variable `scope_arg`; `tags` (a queries.ScopeQuery)
    says what tags it. `query` is the view's query-string schema: a poll whose query it refuses goes to
    Flask."""

    scope_arg: str
    tags: ScopeQuery
    query: Any = None


@dataclass(frozen=True)
class CallerList:
    """GET of everything the caller can read (e.g. the scopes they belong to)."""

    query: Any = None
    tags = CallerQuery


@dataclass(frozen=True)
class Feed:
    """GET /changes; `query` is the view's query-string schema, which the poll path loads too."""

    query: Any
    tags = FeedQuery


def _declare(spec, before):
    """Mark the view with `spec`; `before(kwargs)` runs the declaration's query ahead of the view's own code
    (None: the view runs it itself, as the feed does)."""
    def decorate(fn):
        if before is None:
            view = fn
        else:
            @functools.wraps(fn)
            def view(*args, **kwargs):  # a MethodView's method (args: self, smorest's arguments) or a plain view
                before(kwargs)
                return fn(*args, **kwargs)
        view.__poll__ = spec
        return view
    return decorate


def item(model, optional=False, dump=None, **keys):
    """Declare an item GET: `keys` map the model's attributes to URL variables (or PRINCIPAL, the caller's
    own id). The view receives the loaded row (or None, with `optional`, when there is none) in place of
    the URL variables named in `keys`; 404 and 304 are decided before it runs, from the version alone.
    `dump(row)` (a schema's dump) is how the feed embeds the model's changes, unless pf.represent says."""
    spec = Item(ItemQuery(model, tuple(keys.items())), optional, dump)

    def decorate(fn):
        @functools.wraps(fn)
        def view(*args, **kwargs):
            obj = read_declared(spec.tags, kwargs, optional)
            if not optional:  # with `optional` the view answers for a missing row: it keeps the variables
                for _attr, var in spec.tags.keys:
                    kwargs.pop(var, None)
            return fn(*args, obj, **kwargs)

        view.__poll__ = spec
        return view

    return decorate


def scoped_list(scope_arg, audience=False, query=None, digest=None):
    """Declare a list GET within the scope named by the URL variable `scope_arg`, tagged by the scope's
    watermark (the caller's private one with `audience`: rows private to the caller), or with `digest`
    (a resources.Digest) by a digest of the rows it depends on. 404 and 304 are decided before the view
    runs; the view returns resources.list_page(stmt, Model, args)."""
    spec = ScopedList(scope_arg, ScopeQuery(audience, digest), query)
    return _declare(spec, lambda kwargs: list_state(spec.tags, kwargs[scope_arg], query=query))


def caller_list(query=None):
    """Declare a list GET of everything the caller can read, tagged by the caller's visible watermark; the
    view returns resources.list_page(stmt, Model, args)."""
    return _declare(CallerList(query), lambda kwargs: caller_state())


def feed(query):
    """Declare the change feed (the view tags it with feed.read); `query` is its query-string schema."""
    return _declare(Feed(query), None)

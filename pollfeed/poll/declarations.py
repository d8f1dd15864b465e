"""What a pollable GET declares: its model and keys, or its scope, query schema and digest.

A declaration marks the view (`view.__poll__`); the Flask view serves itself from it (`item` loads the
row through `resources.read_item`), and the poll path (pollfeed.poll.middleware) finds the same
declaration through Flask's url_map and runs its statement (pollfeed.poll.statements).
"""
import functools
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from flask import current_app

from ..callers import caller
from ..problems import NotFound
from ..resources import read_item

#: As a key's value in `item(...)`: the caller's own id (for rows private to the caller).
PRINCIPAL = "<principal>"


class PrincipalSource(NamedTuple):
    """How a token's hash finds its principal, in SQL (Pollfeed.bearer_tokens): the host's columns."""

    source: Any  # a FROM clause joining the host's tokens to its principals
    token_hash: Any
    principal_id: Any
    is_admin: Any
    name: Any
    valid: Any  # a clause: the token is not revoked
    digest: Callable[[str], str]  # token -> its stored hash


def readable_rule(scope_column):
    """The read rule for the Flask path (the caller from the request), as resources.read_item takes it."""
    return current_app.extensions["pollfeed"].extension.rule()(scope_column)


@dataclass(frozen=True)
class Item:
    """GET of one versioned row: `keys` map model attributes to URL variables (or PRINCIPAL)."""

    model: type
    keys: tuple
    optional: bool = False


@dataclass(frozen=True)
class ScopedList:
    """GET of a list tagged by a scope's watermark (the caller's private one with `audience`).

    `query` is the view's query-string schema: a poll whose query it refuses goes to Flask.
    `digest` (a resources.Digest) makes the list digest-tagged instead: always, or when its
    query parameter is given (a search).
    """

    scope_arg: str  # the URL variable that holds the scope id
    audience: bool = False
    query: Any = None
    digest: Any = None


@dataclass(frozen=True)
class Feed:
    """GET /changes; `query` is the view's query-string schema, which the poll path loads too."""

    query: Any


@dataclass(frozen=True)
class CallerList:
    """GET of everything the caller can read (e.g. the scopes they belong to), tagged by their visible
    watermark."""

    query: Any = None


def _mark(spec):
    def decorate(fn):
        fn.__poll__ = spec
        return fn
    return decorate


def item(model, optional=False, **keys):
    """Declare an item GET and serve the Flask path from the same declaration.

    The view receives the loaded row (or None, with `optional`, when there is
    none) in place of the URL variables named in `keys`; 404 and 304 are
    decided before it runs, from the version alone.
    """
    spec = Item(model, tuple(keys.items()), optional)

    def decorate(fn):
        @functools.wraps(fn)
        def view(*args, **kwargs):  # a MethodView's method (args: self, smorest's arguments) or a plain view
            values = {attr: caller().id if var == PRINCIPAL else kwargs[var] for attr, var in spec.keys}
            try:
                obj = read_item(model, readable_rule, **values)
            except NotFound:
                if not optional:
                    raise
                obj = None
            if not optional:  # with `optional` the view answers for a missing row: it keeps the variables
                for _attr, var in spec.keys:
                    kwargs.pop(var, None)
            return fn(*args, obj, **kwargs)

        view.__poll__ = spec
        return view

    return decorate


def scoped_list(scope_arg, audience=False, query=None, digest=None):
    """Declare a scoped list GET for the poll path (the view tags it with resources.scoped_page, or
    with resources.digest_page and the same `digest`)."""
    return _mark(ScopedList(scope_arg, audience, query, digest))


def caller_list(query=None):
    """Declare a list of everything the caller can read (the view tags it with resources.caller_page)."""
    return _mark(CallerList(query))


def feed(query):
    """Declare the change feed (the view tags it with feed.read); `query` is its query-string schema."""
    return _mark(Feed(query))

"""The poll path: a conditional GET answered 304 by one SQL statement, ahead of Flask.

A dashboard's poll is nearly always "nothing new". A WSGI middleware answers
that case before Flask routes, parses or serialises anything: it matches the
path through Flask's own url_map (its rules and converters) against the GET
routes that declare how they are polled (`item`, `scoped_list`, `caller_list`,
`feed`), and runs one statement, compiled once per dialect, that goes from the
token's hash to the principal, the read rule, and the version or watermark the
tag is made of. When the client's If-None-Match names that tag, it answers 304
with exactly the headers Flask's 304 would carry. Everything else goes to Flask
unchanged: a tag that no longer matches (a 200), any other precondition header,
a malformed request, an unknown route, a route that declares nothing, and any
database error, so that 401, 404, 410 and the 503 mapping have one home.

The declarations are the ones the Flask views serve themselves from: each owns
a tag query (pollfeed.queries), protocol-free, that the Flask view runs with
the request's caller before the view's own code, and that the poll path runs
with the token's row joined in. A differential test
(tests/pollfeed/test_poll_path.py) keeps both runs' 304s equal, header by
header, on every GET route.

Its parts:

- `declarations`: what a pollable GET declares (`item`, `scoped_list`, `caller_list`, `feed`) and its
  Flask path, the public names re-exported here (with `PrincipalSource`, from pollfeed.callers);
- `statements`: a declaration's tag query with the token's row joined in, from a token's hash to the
  tag's parts;
- `matching`: which declared route a path names, through Flask's url_map;
- `connection`: a connection per thread, and SQLite's memo of decisions under its record of commits;
- `middleware`: `PollPath`, the WSGI middleware that puts them together, and `install`.
"""
from ..callers import PRINCIPAL_KEY
from ..queries import load_query
from .connection import data_version
from .declarations import (
    PRINCIPAL,
    CallerList,
    Feed,
    Item,
    PrincipalSource,
    ScopedList,
    caller_list,
    feed,
    item,
    scoped_list,
)
from .middleware import PollPath, install

__all__ = [
    "PRINCIPAL", "PRINCIPAL_KEY", "CallerList", "Feed", "Item", "PollPath", "PrincipalSource", "ScopedList",
    "caller_list", "data_version", "feed", "install", "item", "load_query", "scoped_list",
]

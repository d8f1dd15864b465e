"""The yardsticks, in one WSGI app: a bare Flask endpoint answering 304 with no work (/bare), and the
floor of this stack (DESIGN.md, "The 304 budget"): a plain WSGI callable answering 304 with the same
headers as Pollfeed's 304 (/floor), and the same plus one indexed SQLite query of a token joined to a
version (/floor-query; on PostgreSQL with FLOOR_DATABASE_URL)."""
import hashlib
import os
import sqlite3
import tempfile
import threading

from flask import Flask

flask_app = Flask(__name__)


@flask_app.get("/bare")
def bare():
    return "", 304, {"ETag": '"v1"'}


HEADERS = [("ETag", '"v1"'), ("Cache-Control", "private, no-cache"), ("Vary", "Authorization"),
           ("Poll-Interval", "visible=5, hidden=60"), ("X-Content-Type-Options", "nosniff")]
TOKEN = hashlib.sha256(b"token").hexdigest()
_path = os.path.join(tempfile.mkdtemp(), "floor.db")
with sqlite3.connect(_path) as _setup:
    _setup.execute("CREATE TABLE tokens (hash TEXT PRIMARY KEY, user_id INTEGER)")
    _setup.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, owner_id INTEGER, version INTEGER)")
    _setup.executemany("INSERT INTO tokens VALUES (?, ?)", [(hashlib.sha256(str(i).encode()).hexdigest(), i)
                                                           for i in range(1000)] + [(TOKEN, 1000)])
    _setup.executemany("INSERT INTO items VALUES (?, ?, ?)", [(i, i, 1) for i in range(1001)])
_local = threading.local()


def _floor(environ, start_response):
    start_response("304 NOT MODIFIED", HEADERS)
    return []


# FLOOR_DATABASE_URL (a PostgreSQL URL): /floor-query runs its one query there instead, through psycopg
# on a connection of the thread's own in autocommit mode (as Pollfeed's poll path does): the floor of a
# 304 that needs a round trip.
_PG_URL = os.environ.get("FLOOR_DATABASE_URL", "").replace("postgresql+psycopg://", "postgresql://")
if _PG_URL:
    import psycopg

    with psycopg.connect(_PG_URL, autocommit=True) as _setup:
        _setup.execute("SELECT pg_advisory_lock(4242)")  # each gunicorn worker imports this module
        _setup.execute("CREATE TABLE IF NOT EXISTS floor_tokens (hash TEXT PRIMARY KEY, user_id INTEGER)")
        _setup.execute("CREATE TABLE IF NOT EXISTS floor_items (id INTEGER PRIMARY KEY, owner_id INTEGER, "
                       "version INTEGER)")
        with _setup.cursor() as cur:
            cur.executemany("INSERT INTO floor_tokens VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            [(hashlib.sha256(str(i).encode()).hexdigest(), i) for i in range(1000)] + [(TOKEN, 1000)])
            cur.executemany("INSERT INTO floor_items VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                            [(i, i, 1) for i in range(1001)])
        _setup.execute("ANALYZE floor_tokens, floor_items")
        _setup.execute("SELECT pg_advisory_unlock(4242)")


if _PG_URL:
    _connect = lambda: psycopg.connect(_PG_URL, autocommit=True)  # noqa: E731
    _QUERY = ("SELECT i.version FROM floor_tokens t JOIN floor_items i ON i.owner_id = t.user_id "
              "WHERE t.hash = %s AND i.id = %s")
else:
    _connect = lambda: sqlite3.connect(_path, check_same_thread=False)  # noqa: E731
    _QUERY = "SELECT i.version FROM tokens t JOIN items i ON i.owner_id = t.user_id WHERE t.hash = ? AND i.id = ?"


def _floor_query(environ, start_response):
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = _connect()
    token = hashlib.sha256(environ.get("HTTP_AUTHORIZATION", "Bearer token")[7:].encode()).hexdigest()
    row = conn.execute(_QUERY, (token, 1000)).fetchone()
    start_response("304 NOT MODIFIED", [("ETag", f'"v{row[0]}"'), *HEADERS[1:]])
    return []


def app(environ, start_response):
    path = environ.get("PATH_INFO")
    if path == "/floor":
        return _floor(environ, start_response)
    if path == "/floor-query":
        return _floor_query(environ, start_response)
    return flask_app(environ, start_response)

"""The poll path's database side: a connection of each thread's own, and on SQLite the memo of
decisions kept under the database's record of commits.

Each poll reads the database on a connection of the thread's own in autocommit mode, so a write
committed by any worker is seen by the next poll on any other. On SQLite the decision (path, query and
token -> the current tag) is remembered per connection under the database's own record of commits:
the WAL-index header, which every commit rewrites (pollfeed.walindex), or where that cannot be read
`PRAGMA data_version`, which moves whenever any other connection, in any process, commits (the poll
path's connection never writes). PostgreSQL has no such counter short of a round trip, so there each
poll runs its statement.
"""
import os
import threading

from .. import walindex


def data_version(conn):
    """SQLite's record of commits as a statement: PRAGMA data_version on a cursor kept for it."""
    cursor = conn.cursor()
    return lambda: cursor.execute("PRAGMA data_version").fetchone()[0]


class Connections:
    """Per thread: `local.conn` (a DB-API connection, not the pool's), and on SQLite `local.record` (the
    record of commits) and `local.decisions` (the memo it guards)."""

    def __init__(self, engine, memo):
        self.engine = engine
        self.local = threading.local()
        # Remember answers under SQLite's change counter: only for a database file, where the poll
        # path's connection is its own (an in-memory database's would be shared with the writers').
        database = engine.url.database
        self.remembers = (engine.dialect.name == "sqlite" and bool(database) and database != ":memory:"
                          and not database.startswith("file::memory:") and memo)
        self.header_path = (os.path.abspath(database) if self.remembers and not database.startswith("file:")
                            else None)

    def cursor(self):
        """A cursor on this thread's connection, opened on first use."""
        local = self.local
        conn = getattr(local, "conn", None)
        if conn is None:
            raw = self.engine.raw_connection()  # made by the engine: SQLite's pragmas and WAL apply
            raw.detach()  # ours for this thread: not the pool's, so it never holds a pooled slot
            conn = raw.dbapi_connection
            if self.engine.dialect.name == "postgresql":
                conn.autocommit = True  # every poll its own snapshot: nothing committed is missed
                # The poll path's statements are fixed, indexed lookups, prepared by psycopg after a few
                # runs; PostgreSQL would still plan some again on every run (a custom plan per set of
                # parameters). A generic plan is the same plan without the planning (docs/benchmarks.md).
                conn.execute("SET plan_cache_mode = force_generic_plan")
            local.conn = conn
            local.decisions, local.seen = {}, None
            local.record = None
            if self.remembers:
                pragma = data_version(conn)  # read once here: the connection is open in WAL mode after it
                pragma()
                # The record cheaper than a statement: the WAL-index header (pollfeed.walindex).
                local.record = (self.header_path and walindex.reader(self.header_path)) or pragma
        return conn.cursor()

    def decisions(self):
        """SQLite: this connection's remembered decisions, emptied whenever the record of commits moved;
        None where nothing is remembered."""
        if not self.remembers:
            return None
        local = self.local
        if getattr(local, "conn", None) is None:
            self.cursor().close()
        committed = local.record()
        if committed != local.seen:
            local.decisions.clear()
            local.seen = committed
        return local.decisions

    def drop(self):
        """Close this thread's connection (after a database error: the next poll opens another)."""
        local = self.local
        conn = getattr(local, "conn", None)
        local.conn = local.decisions = local.record = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # it is gone already
                pass

"""What the engine's guarantees need of the database's transactions, set on the host's engine at init_app.

- PostgreSQL: a read request (GET, HEAD, OPTIONS) runs in one REPEATABLE READ, READ ONLY transaction, so
  a list and its cursor agree and list-then-follow misses and repeats nothing; writes run READ COMMITTED
  and serialise on the feed head's row lock. A read ends with COMMIT, which keeps prepared statements.
- SQLite: WAL, and transaction control taken from pysqlite: writers BEGIN IMMEDIATE (they wait for the
  write lock up front instead of failing with SQLITE_BUSY halfway), readers BEGIN (one snapshot).

Connection settings that are the host's choice (pool sizes, timeouts, other pragmas) stay the host's.
"""
from flask import has_request_context, request
from sqlalchemy import event

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_write_request():
    return not has_request_context() or request.method not in READ_METHODS


def configure(engine, app):
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
        _end_reads_with_commit(app)


def _configure_postgresql(engine):
    import psycopg

    snapshot, committed = psycopg.IsolationLevel.REPEATABLE_READ, psycopg.IsolationLevel.READ_COMMITTED

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record):
        # Statements stay prepared (see _end_reads_with_commit), but each run gets a plan for its own
        # parameters. PostgreSQL's automatic choice moves a prepared statement to a generic plan when that
        # plan's estimate looks no worse, and for a feed page the generic plan reads the caller's whole
        # history in a scope and sorts it (a bitmap scan) where the plan for the actual range and limit
        # walks the (scope_id, position) index and stops at the page (figures: docs/benchmarks.md).
        # So: no parsing per request, planning per request as before. (The poll path's connection, whose
        # statements are point lookups, asks for generic plans instead: pollfeed/poll/connection.py.)
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # Reads see one snapshot: a list and its cursor agree, so list-then-follow
        # misses and repeats nothing. Writes stay READ COMMITTED: they serialise
        # on the feed head's row lock, which REPEATABLE READ would turn into
        # serialization failures. psycopg sends the level with its own BEGIN:
        # no extra round trip.
        # Reads are READ ONLY besides: PostgreSQL refuses a write that slipped into one, so ending it with
        # COMMIT (see _end_reads_with_commit) can only ever end a read.
        dbapi = conn.connection.dbapi_connection
        read = not is_write_request()
        level = snapshot if read else committed
        if dbapi.isolation_level != level:
            dbapi.isolation_level = level
        if dbapi.read_only is not read:
            dbapi.read_only = read


def _end_reads_with_commit(app):
    """A read request's transaction ends with COMMIT, not ROLLBACK (PostgreSQL).

    psycopg prepares a statement once a connection has run it a few times, so
    PostgreSQL parses and plans it once. But its rollback() forgets every
    prepared statement (and deallocates them): a statement prepared inside a
    rolled-back transaction may name objects that no longer exist. Ending every
    GET with ROLLBACK meant no statement of the Flask path was ever prepared,
    and each was parsed and planned anew on every request, which cost many
    times its execution (docs/benchmarks.md). A READ ONLY transaction's
    COMMIT is its ROLLBACK in effect; the session then returns the connection
    to the pool with nothing to roll back. (tests/postgres/test_prepared.py)
    """
    from .state import db

    @app.teardown_request
    def commit_read(exc):
        if exc is not None or request.method not in READ_METHODS:
            return
        session = db.session()
        if not session.in_transaction():
            return
        try:
            session.commit()
        except Exception:  # a broken connection: Flask-SQLAlchemy's teardown rolls back and the pool recovers
            pass


def _configure_sqlite(engine):
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record):
        # Take transaction control from pysqlite so that BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for writers; the poll memo reads its index
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # Writers take the write lock up front: a deferred transaction that
        # reads and then writes can fail with SQLITE_BUSY instead of waiting.
        # Readers get a deferred transaction: one snapshot for all its reads.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if is_write_request() else "BEGIN")

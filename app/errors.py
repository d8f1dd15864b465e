"""problem+json (RFC 9457) for every error, from one handler."""
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from pollfeed import Conflict, problems

from . import metrics
from .extensions import db

log = logging.getLogger("pollfeed")


def problem_response(exc):
    return problems.response(exc)


class Unavailable(HTTPException):
    code = 503
    description = "The database is unavailable; retry after the advised delay."


class Restoring(Unavailable):
    problem_type = "restoring"
    description = "The database is being restored from a backup; retry after the advised delay."


def restored_under_us():
    """Whether this request's transaction reads a database that a live restore replaced under it.

    On PostgreSQL a read runs REPEATABLE READ: its snapshot is taken when its first statement starts,
    before that statement waits on the locks of a `pg_restore --clean --single-transaction`. Once the
    restore commits, the statement reads the new tables with the old snapshot, in which the restored
    rows are not yet visible: every table looks empty. The log's state row always exists, so its
    absence tells, in the same snapshot. Asked only when a request is about to fail (401, 404, 500),
    and only inside a transaction, so an answered request pays nothing.
    """
    if not db.session().in_transaction():
        return False
    try:
        return db.session.execute(text("SELECT 1 FROM feed_state WHERE id = 1")).first() is None
    except Exception:  # the transaction is broken already: not this case
        return False


class StorageFull(Unavailable):
    problem_type = "storage-full"
    description = ("The server's storage is full: writes are refused until space is freed, reads still work. "
                   "Retry after the advised delay.")


def storage_full(exc):
    """SQLite's SQLITE_FULL, or PostgreSQL's disk_full (SQLSTATE 53100)."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlite_errorname", None) == "SQLITE_FULL" or getattr(orig, "sqlstate", None) == "53100"


def register(app):
    @app.errorhandler(HTTPException)  # over the engine's own: a 401 or 404 may be a restore under us
    def http_error(exc):
        if exc.code in (401, 404) and restored_under_us():
            _discard_session()
            return problem_response(Restoring())
        return problem_response(exc)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_down(exc):
        _discard_session()
        metrics.database_error("storage-full" if storage_full(exc) else "unavailable")
        if storage_full(exc):
            log.error("storage full: a write was refused (%s)", exc.orig)
            return problem_response(StorageFull())
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return problem_response(Unavailable())

    @app.errorhandler(IntegrityError)
    def integrity(exc):
        _discard_session()
        return problem_response(Conflict("The write conflicts with the current state."))

    @app.errorhandler(DBAPIError)
    def dbapi(exc):
        _discard_session()
        metrics.database_error("unavailable" if exc.connection_invalidated else "error")
        if exc.connection_invalidated:
            return problem_response(Unavailable())
        log.exception("database error")
        return problem_response(InternalServerError())

    @app.errorhandler(Exception)
    def unexpected(exc):
        if restored_under_us():
            _discard_session()
            log.warning("a request read a database being restored under it: 503")
            return problem_response(Restoring())
        _discard_session()
        log.exception("unhandled error")
        return problem_response(InternalServerError())


def _discard_session():
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the pool will replace it
        db.session.remove()

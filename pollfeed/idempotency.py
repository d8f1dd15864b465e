"""Idempotency-Key on writes: a retried write returns the first response and writes nothing new.

POST, PATCH, PUT and DELETE take a key. For a create it means no second row; for a conditional write
(If-Match) it means the retry of a write that committed but lost its answer gets that answer (the
new tag), instead of a 412 against the caller's own write: an offline queue replays its writes with
their keys, and each learns its outcome.

How it stays exactly-once, also for two retries racing each other and for a worker killed mid-way:
the stored response is written in the same transaction as the write it answers. A write with a key
runs its view as usual, but `resources.commit` only flushes; `finish` (an after_request hook) then
adds the `(principal, key)` row with the response's status, headers and body, and commits both.

- A retry after that commit finds the row before its view runs (`replay`, right after the token
  check) and gets the stored response, marked `Idempotent-Replayed: true`.
- Two racing requests both run their view; the second's INSERT of the same key waits on the
  primary key (PostgreSQL) or on the write lock (SQLite) until the first commits, then fails, and
  the second rolls its own work back and answers with the first's response.
- A worker killed before COMMIT leaves nothing: not the write, not the key. The retry runs afresh.

Only 2xx answers are stored: an error writes nothing (its transaction is rolled back), so a retry
simply runs again. The same key with another method, path or body is 422 `idempotency-key-reused`.
Keys are per principal and kept for IDEMPOTENCY_TTL (24 h); `flask pollfeed compact` drops older ones.
"""
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, g, request
from sqlalchemy import JSON, DateTime, Integer, LargeBinary, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from .callers import caller
from .ids import ID_LENGTH
from .problems import BadRequest, Problem
from .state import Base, db
from .versioned import utcnow

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})  # the writes that take a key
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as Stripe's and the IETF draft's keys are
_NOT_REPLAYED = frozenset({"content-length", "date", "server", "set-cookie", "x-request-id"})


class IdempotencyKeyReused(Problem):
    code = 422
    problem_type = "idempotency-key-reused"

    def __init__(self):
        super().__init__("This Idempotency-Key was used for another request (method, path or body); "
                         "use a new key for a new request.")


class IdempotentResponse(Base):
    """The first 2xx answer to a write with an Idempotency-Key, per principal."""

    __tablename__ = "idempotency_keys"
    principal_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    headers: Mapped[list] = mapped_column(JSON, nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)


@dataclass(frozen=True)
class Claim:
    principal_id: str
    key: str
    fingerprint: str


def _fingerprint():
    h = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode(), request.get_data(cache=True)):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def pending():
    """Whether this request's write commits together with its stored response (see the module doc)."""
    return g.get("idempotency") is not None


def _stored(principal_id, key):
    return db.session.get(IdempotentResponse, (principal_id, key), populate_existing=True)


def _replay(row, fingerprint):
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    response = current_app.response_class(row.body, status=row.status, headers=[tuple(h) for h in row.headers])
    response.headers["Idempotent-Replayed"] = "true"
    return response


def replay():
    """before_request, after the token check: the stored response of a retried write, or a claim. It
    comes before the view, so before the view's If-Match check: a replay is never a 412."""
    key = request.headers.get(HEADER) if request.method in METHODS else None
    if key is None:
        return None
    if not _KEY.match(key):
        raise BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters.",
                         problem_type="bad-idempotency-key")
    try:
        who = caller()
    except HTTPException:  # no usable credentials: the route's own auth answers
        return None
    if who is None:  # anonymous: nobody to keep the key for
        return None
    fingerprint = _fingerprint()
    row = _stored(who.id, key)
    if row is not None:
        if row.created_at >= utcnow() - current_app.config["POLLFEED_IDEMPOTENCY_TTL"]:
            return _replay(row, fingerprint)
        db.session.delete(row)  # expired: the key starts afresh, in this request's transaction
    g.idempotency = Claim(who.id, key, fingerprint)
    return None


def finish(response):
    """after_request: store a 2xx answer with the write, in one COMMIT; or answer with the winner's."""
    claim = g.pop("idempotency", None)
    if claim is None:
        return response
    if not 200 <= response.status_code < 300:
        db.session.rollback()
        return response
    headers = [[k, v] for k, v in response.headers.items() if k.lower() not in _NOT_REPLAYED]
    db.session.add(IdempotentResponse(principal_id=claim.principal_id, key=claim.key, fingerprint=claim.fingerprint,
                                      status=response.status_code, headers=headers, body=response.get_data()))
    try:
        db.session.commit()
    except IntegrityError:  # a racing request with the same key committed first: its answer is ours
        db.session.rollback()
        row = _stored(claim.principal_id, claim.key)
        if row is None:
            raise
        try:
            return _replay(row, claim.fingerprint)
        except IdempotencyKeyReused as exc:
            return current_app.make_response(current_app.handle_user_exception(exc))
    except Exception as exc:  # the COMMIT failed (database gone, disk full): the usual problem answer
        return current_app.make_response(current_app.handle_user_exception(exc))
    return response


def drop_expired(ttl):
    """Delete stored responses older than `ttl`; returns how many."""
    n = db.session.execute(delete(IdempotentResponse).where(IdempotentResponse.created_at < utcnow() - ttl)).rowcount
    db.session.commit()
    return n


def init_app(app):
    # Registered before every other after_request hook, so it runs last and stores the final headers.
    app.after_request(finish)
    app.before_request(replay)  # a retried write is answered once its caller is known (pollfeed.callers)


"""Issuing, checking and revoking bearer tokens."""
import hashlib
import hmac
import secrets
from typing import NamedTuple

from flask import g, request
from sqlalchemy import bindparam, select

from pollfeed import PRINCIPAL_KEY, Lookup, Problem, utcnow

from ..extensions import db
from .models import Token, User

PREFIX = "pf_"


class Principal(NamedTuple):
    id: str
    name: str
    is_admin: bool


class Unauthorized(Problem):
    code = 401
    problem_type = "unauthorized"

    def __init__(self, detail, error=None):
        challenge = 'Bearer realm="pollfeed"' + (f', error="{error}"' if error else "")
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user):
    """A new token for `user`; the plaintext is returned once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(Token(user_id=user.id, token_hash=digest(token)))
    return token


_TOKEN = Lookup(
    select(Token.token_hash, User.id, User.name, User.is_admin)
    .join(User, User.id == Token.user_id)
    .where(Token.token_hash == bindparam("hashed"), Token.revoked_at.is_(None))
)


def authenticate():
    """before_request of every API blueprint: one indexed lookup, the principal in g.

    OPTIONS needs no token: it is a CORS preflight (app/cors.py), which a browser sends without
    credentials, and Flask answers it with the route's methods and nothing else."""
    if request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("This endpoint needs Authorization: Bearer <token>.")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Malformed Authorization header; use Bearer <token>.", "invalid_request")
    hashed = digest(token.strip())
    # A conditional poll the engine's poll path handed on carries the caller its statement found for this
    # very token (pollfeed.poll.PRINCIPAL_KEY): no second lookup.
    known = request.environ.get(PRINCIPAL_KEY)
    if known is not None and hmac.compare_digest(known[0], hashed):
        g.principal = Principal(known[1], known[2], known[3])
        return
    row = _TOKEN.first(hashed=hashed)
    # The index finds the row by hash; the comparison is constant-time all the same.
    if row is None or not hmac.compare_digest(row[0], hashed):
        raise Unauthorized("Unknown or revoked token.", "invalid_token")
    g.principal = Principal(row[1], row[2], bool(row[3]))


def principal_columns():
    """How a token's hash finds its principal, in SQL: for the engine's poll path (pollfeed.poll)."""
    from pollfeed import PrincipalSource

    return PrincipalSource(source=Token.__table__.join(User.__table__, User.id == Token.user_id),
                           token_hash=Token.token_hash, user_id=User.id, is_admin=User.is_admin, name=User.name,
                           valid=Token.revoked_at.is_(None), digest=digest)


def revoke(token_or_id):
    """Revoke by plaintext token or by token id; returns how many were revoked."""
    cond = Token.token_hash == digest(token_or_id) if token_or_id.startswith(PREFIX) else Token.id == token_or_id
    count = 0
    for tok in db.session.scalars(select(Token).where(cond, Token.revoked_at.is_(None))):
        tok.revoked_at = utcnow()
        count += 1
    return count

"""Issuing and revoking bearer tokens; the engine checks them (pollfeed.callers) from principal_columns."""
from sqlalchemy import select

from pollfeed import PrincipalSource, new_token, token_digest, utcnow

from ..extensions import db
from .models import Token, User

PREFIX = "pf_"


def issue(user):
    """A new token for `user`; the plaintext is returned once and never stored."""
    token, hashed = new_token(PREFIX)
    db.session.add(Token(user_id=user.id, token_hash=hashed))
    return token


def principal_columns():
    """How a token's hash finds its principal, in SQL: for the engine's poll path (pollfeed.poll)."""
    return PrincipalSource(source=Token.__table__.join(User.__table__, User.id == Token.user_id),
                           token_hash=Token.token_hash, principal_id=User.id, is_admin=User.is_admin,
                           name=User.name, valid=Token.revoked_at.is_(None))


def revoke(token_or_id):
    """Revoke by plaintext token or by token id; returns how many were revoked."""
    cond = Token.token_hash == token_digest(token_or_id) if token_or_id.startswith(PREFIX) else Token.id == token_or_id
    count = 0
    for tok in db.session.scalars(select(Token).where(cond, Token.revoked_at.is_(None))):
        tok.revoked_at = utcnow()
        count += 1
    return count

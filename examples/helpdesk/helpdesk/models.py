"""The helpdesk's tables: integer ids, a Team as the scope, hashed bearer tokens of its own."""
import hashlib

from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import Grant, PrincipalSource, Versioned

from . import db, pf


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    is_admin: Mapped[bool] = mapped_column(default=False)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the token; never the token


class Team(db.Model, Versioned):
    __tablename__ = "teams"
    __change_type__ = "team"
    __scope_attr__ = "id"  # a team is its own scope
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Member(db.Model, Versioned, Grant):
    """A user's membership of a team: they read its tickets, and follow them in the feed."""
    __tablename__ = "members"
    __change_type__ = "member"
    __scope_attr__ = "team_id"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Ticket(db.Model, Versioned):
    __tablename__ = "tickets"
    __change_type__ = "ticket"
    __scope_attr__ = "team_id"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")


class Comment(db.Model, Versioned):
    __tablename__ = "comments"
    __change_type__ = "comment"
    __scope_attr__ = "team_id"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    body: Mapped[str] = mapped_column(String(2000))


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


# Who the caller is: the engine reads `Authorization: Bearer`, finds the token's hash here, and
# answers a conditional poll's 304 from one statement ahead of Flask.
pf.bearer_tokens(PrincipalSource(
    source=ApiToken.__table__.join(User.__table__, User.id == ApiToken.user_id), token_hash=ApiToken.token_hash,
    user_id=User.id, is_admin=User.is_admin, name=User.name, valid=true(), digest=digest))

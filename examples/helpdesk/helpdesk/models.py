"""The helpdesk's tables: integer ids, a Team as the scope, users with hashed bearer tokens."""
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
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token, never the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Team(db.Model, Versioned):
    __change_type__ = "team"
    __scope_attr__ = "id"  # a team is its own scope
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class InTeam(Versioned):
    """A row of one team: the team is its scope, for the read rule and the feed's ?team=."""
    __scope_attr__ = "team_id"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)


class Member(db.Model, InTeam, Grant):
    """A user's membership of a team: they read its tickets, and follow them in the feed."""
    __change_type__ = "member"
    __grant_principal__ = "user_id"  # whom the row lets read the team
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Ticket(db.Model, InTeam):
    __change_type__ = "ticket"
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")


class Comment(db.Model, InTeam):
    __change_type__ = "comment"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    body: Mapped[str] = mapped_column(String(2000))


pf.bearer_tokens(PrincipalSource(source=ApiToken.__table__.join(User.__table__), token_hash=ApiToken.token_hash,
                                 principal_id=User.id, is_admin=User.is_admin, name=User.name,
                                 valid=true()))  # no token of the helpdesk's expires or is revoked

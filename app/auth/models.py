"""User, Token and Membership models."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import Grant, Versioned, new_id, utcnow

from ..extensions import db


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class Token(db.Model):
    """A bearer token, stored only as its SHA-256 (tokens carry 256 random bits, so no slow hash is needed)."""

    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class Membership(Versioned, Grant, db.Model):
    """A user's role in a project; in the feed as type `member`, and the source of feed visibility."""

    __tablename__ = "memberships"
    __change_type__ = "member"
    __scope_attr__ = "project_id"
    __grant_principal__ = "user_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(10), nullable=False)

    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_memberships_project_user"),)

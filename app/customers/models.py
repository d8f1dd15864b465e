"""Customer: versioned, scoped to a project, in the feed as `customer`."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pollfeed import Versioned

from ..extensions import db


class Customer(Versioned, db.Model):
    __tablename__ = "customers"
    __change_type__ = "customer"
    __scope_attr__ = "project_id"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_customers_project_id_id", "project_id", "id"),)

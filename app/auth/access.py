"""Who may read or administer a project, as SQL clauses (so checks ride along the row's own query)."""
from flask import g
from sqlalchemy import exists, select, true

from ..extensions import db
from .models import Membership


def readable(project_id_column):
    """A clause: the caller may read rows of the project named by `project_id_column`."""
    principal = g.principal
    if principal.is_admin:
        return true()
    return exists().where(Membership.project_id == project_id_column, Membership.user_id == principal.id)


def role(project_id):
    """The caller's role in the project, or None."""
    return db.session.scalar(
        select(Membership.role).where(Membership.project_id == project_id, Membership.user_id == g.principal.id)
    )


def is_owner(project_id):
    return g.principal.is_admin or role(project_id) == "owner"

"""version guards: the database refuses an UPDATE of a versioned row that leaves its version unchanged

A raw-SQL write (a script, a console, another program) that goes around the ORM would change a row under
an unchanged ETag, and clients would keep the old body on a 304. A BEFORE UPDATE trigger on each versioned
table now refuses it (pollfeed/guards.py). A data migration that backfills a versioned table from here on
raises the version too, or drops the guard for its duration.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

"""
from alembic import op

from pollfeed import guards

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

#: Every Versioned table of 0001..0005.
VERSIONED = ("memberships", "projects", "statuses", "tasks", "customers", "events", "bookings", "threads",
             "messages", "notifications", "unread_counts", "progress", "summaries")


def upgrade():
    guards.install(op.get_bind(), VERSIONED)


def downgrade():
    for table in VERSIONED:
        guards.drop(op.get_bind(), table)

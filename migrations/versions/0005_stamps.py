"""stamps: every row version and every transaction's log positions carry a random stamp

After a restore from a backup, versions and positions are handed out again for other bodies; a tag or
cursor that carries the stamp of what it names stays unique (pollfeed/stamps.py). Existing rows get a
stamp each: the tags and cursors issued before this migration match none, so each client refetches
once (a 200 for a tag, a 410 cursor-unknown and a re-list for a cursor).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

from pollfeed import guards

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

#: Every Versioned table of 0001..0004.
VERSIONED = ("memberships", "projects", "statuses", "tasks", "customers", "events", "bookings", "threads",
             "messages", "notifications", "unread_counts", "progress", "summaries")
LOG = ("changes", "feed_watermarks")


def _random():
    """A random stamp in SQL, 1..2**48-1 (pollfeed.stamps draws them in Python for new rows)."""
    return guards.random_stamp_sql(op.get_bind().dialect.name)


def upgrade():
    rnd = _random()
    log = LOG if 'stamp' not in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('changes')} else ()
    for table in VERSIONED + log:  # the log's tables too when 0001..0004 made them (an older database)
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('stamp', sa.BigInteger(), server_default='0', nullable=False))
        op.execute(f"UPDATE {table} SET stamp = {rnd}")
    if not log:
        return  # the engine's own first revision made the log with its stamps (a fresh database)
    with op.batch_alter_table('feed_state') as batch_op:
        batch_op.add_column(sa.Column('stamp', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('horizon_stamp', sa.BigInteger(), server_default='0', nullable=False))
    # A watermark and the head carry the stamp of the change at their position (a cursor made from them
    # is checked against it); the horizon's change is gone, so its stamp is new.
    op.execute("UPDATE feed_watermarks SET stamp = coalesce("
               "(SELECT c.stamp FROM changes c WHERE c.position = feed_watermarks.position), stamp)")
    op.execute(f"UPDATE feed_state SET horizon_stamp = {rnd}")
    op.execute("UPDATE feed_state SET stamp = coalesce((SELECT c.stamp FROM changes c "
               "WHERE c.position = feed_state.head AND feed_state.head > feed_state.horizon), horizon_stamp)")


def downgrade():  # the log's stamps stay: the engine's tables are the engine's
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('stamp')

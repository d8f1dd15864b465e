"""the engine's tables under the engine's own revisions: ids of any length

The engine now brings its tables with its own first revision (pollfeed/versions/pollfeed_0001), which
0001 follows. A database made before has them from 0001..0005, with ids of 26 characters (the
reference server's); the engine's revision keeps up to 64 (a UUID, any integer), and private watermark
keys up to 129. Widened here, only where narrower. On PostgreSQL that rewrites no rows; SQLite (which
does not enforce a VARCHAR's length, but whose schema should say what the models say) copies each of
the four tables once, in batch mode.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ID = 64
WIDER = {
    'changes': {'resource_id': ID, 'scope_id': ID, 'actor_id': ID, 'audience': ID},
    'feed_access': {'principal_id': ID, 'scope_id': ID},
    'feed_watermarks': {'scope_key': 2 * ID + 1},
    'idempotency_keys': {'principal_id': ID},
}


def upgrade():
    inspector = sa.inspect(op.get_bind())
    for table, columns in WIDER.items():
        found = {c['name']: c['type'] for c in inspector.get_columns(table)}
        narrow = {c: n for c, n in columns.items() if (found[c].length or 0) < n}
        if narrow:
            with op.batch_alter_table(table) as batch_op:
                for column, length in narrow.items():
                    batch_op.alter_column(column, type_=sa.String(length))


def downgrade():
    pass  # narrower columns could not hold the ids written since

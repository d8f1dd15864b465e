"""one vocabulary for the engine's scope: changes.scope_id, feed_access.scope_id, feed_watermarks.scope_key

Renames only (data kept): a change's, an access period's and a watermark's scope
were `project_id`, `scope` and `feed_scopes.key`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _rename(names):
    (old_table, old_key, old_pk), (new_table, new_key, new_pk) = names
    op.rename_table(old_table, new_table)
    with op.batch_alter_table(new_table, schema=None) as batch_op:
        batch_op.alter_column(old_key, new_column_name=new_key)
    if op.get_context().dialect.name == "postgresql":  # SQLite's batch mode rebuilds the table and names it anew
        op.execute(f"ALTER INDEX {old_pk} RENAME TO {new_pk}")


def _columns(changes_old, changes_new, access_old, access_new):
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index(f'ix_changes_{changes_old.removesuffix("_id")}_position')
        batch_op.alter_column(changes_old, new_column_name=changes_new)
    op.create_index(f'ix_changes_{changes_new.removesuffix("_id")}_position', 'changes', [changes_new, 'position'])
    with op.batch_alter_table('feed_access', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_access_principal_scope')
        batch_op.alter_column(access_old, new_column_name=access_new)
    op.create_index('ix_feed_access_principal_scope', 'feed_access', ['principal_id', access_new])


def upgrade():
    if not sa.inspect(op.get_bind()).has_table('feed_scopes'):
        return  # the engine's own first revision made these tables with their new names (a fresh database)
    _columns('project_id', 'scope_id', 'scope', 'scope_id')
    _rename((('feed_scopes', 'key', 'pk_feed_scopes'), ('feed_watermarks', 'scope_key', 'pk_feed_watermarks')))


def downgrade():
    pass  # the engine's tables are the engine's: its own revisions alone take them back

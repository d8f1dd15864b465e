"""pollfeed 0001: the engine's tables and the log's first row

The change log, its state, watermarks, access periods and idempotency keys.

The host's first migration names this one as its down_revision, so the host's chain depends on the
engine's and `flask db upgrade` has one head (docs/library.md, "Engine tables and migrations").

Revision ID: pollfeed_0001
Revises:
Create Date: 2026-12-04

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "pollfeed_0001"
down_revision = None
branch_labels = None
depends_on = None

ID = 64  # pollfeed.ids.ID_LENGTH when this was written: a ULID, a UUID or an integer, as text


def upgrade():
    op.create_table(
        "changes",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=ID), nullable=False),
        sa.Column("scope_id", sa.String(length=ID), nullable=True),
        sa.Column("op", sa.String(length=6), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.String(length=ID), nullable=True),
        sa.Column("audience", sa.String(length=ID), nullable=True),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_changes")),
    )
    op.create_index("ix_changes_scope_position", "changes", ["scope_id", "position"])
    op.create_index("ix_changes_resource", "changes", ["resource_id", "position"])
    op.create_table(
        "feed_access",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("principal_id", sa.String(length=ID), nullable=False),
        sa.Column("scope_id", sa.String(length=ID), nullable=False),
        sa.Column("start_pos", sa.BigInteger(), nullable=False),
        sa.Column("end_pos", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_access")),
    )
    op.create_index("ix_feed_access_principal_scope", "feed_access", ["principal_id", "scope_id"])
    feed_state = op.create_table(
        "feed_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("head", sa.BigInteger(), nullable=False),
        sa.Column("horizon", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.String(length=16), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.Column("horizon_stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_state")),
    )
    op.create_table(
        "feed_watermarks",
        sa.Column("scope_key", sa.String(length=2 * ID + 1), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope_key", name=op.f("pk_feed_watermarks")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal_id", sa.String(length=ID), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])
    # The log's first row: head and horizon 0; the epoch names this database in every cursor; a random
    # stamp (1 .. 2**48-1, as pollfeed.stamps draws them) tells a restored copy's cursors from this one's.
    stamp = secrets.randbelow(2**48 - 1) + 1
    op.bulk_insert(feed_state, [{"id": 1, "head": 0, "horizon": 0, "epoch": secrets.token_hex(4),
                                 "stamp": stamp, "horizon_stamp": stamp}])


def downgrade():
    for table in ("idempotency_keys", "feed_watermarks", "feed_state", "feed_access", "changes"):
        op.drop_table(table)  # with their indexes

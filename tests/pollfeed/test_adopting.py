"""An app that exists before Pollfeed, with its Alembic chain and its data, adopts the engine as
docs/engine-migrations.md says: the engine's revisions joined to its chain by a merge, its tables made
versioned in place (guards.make_versioned), its rows logged (`flask pollfeed adopt`). On the run's
database (SQLite, then PostgreSQL)."""
from types import SimpleNamespace

import pytest
from flask import Flask, g, request
from flask_migrate import Migrate, init, merge, upgrade
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Integer, String, exists, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

import pollfeed
from pollfeed import Grant, Versioned, poll, resources

from ..support import empty_database

FIRST = '''
import sqlalchemy as sa
from alembic import op

revision = "shop1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("stores", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40)))
    op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True), sa.Column("store_id", sa.Integer),
                    sa.Column("total", sa.Integer), sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_table("staff", sa.Column("id", sa.Integer, primary_key=True), sa.Column("store_id", sa.Integer),
                    sa.Column("user_id", sa.String(40)))
'''

VERSIONED = '''
from alembic import op

from pollfeed import guards

revision = "shop2"
down_revision = "{merge}"
branch_labels = None
depends_on = None


def upgrade():
    guards.make_versioned(op, "orders")
    guards.make_versioned(op, "staff")


def downgrade():
    guards.unmake_versioned(op, "staff")
    guards.unmake_versioned(op, "orders")
'''


@pytest.fixture
def before(tmp_path):
    """The shop as it was before Pollfeed: its chain (one revision) applied, and its data."""
    url, directory = empty_database(tmp_path), str(tmp_path / "migrations")
    db = SQLAlchemy()
    app = Flask("shop")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    Migrate(app, db, directory=directory)
    with app.app_context():
        init(directory)
        (tmp_path / "migrations" / "versions" / "shop1.py").write_text(FIRST)
        upgrade(directory)
        db.session.execute(text("INSERT INTO stores (id, name) VALUES (1, 'North'), (2, 'South')"))
        db.session.execute(text("INSERT INTO orders (id, store_id, total, created_at) VALUES "
                                "(1, 1, 10, '2020-01-02 03:04:05'), (2, 1, 20, '2020-01-02 03:04:05'), "
                                "(3, 2, 30, '2020-01-02 03:04:05')"))
        db.session.execute(text("INSERT INTO staff (id, store_id, user_id) VALUES (1, 1, 'ada'), (2, 2, 'bob')"))
        db.session.commit()
        db.engine.dispose()
    return url, directory


def test_an_existing_app_adopts_the_engine_in_place_with_its_data(before, tmp_path):
    url, directory = before
    db = SQLAlchemy()

    class Order(db.Model, Versioned):
        __tablename__ = "orders"
        __change_type__ = "order"
        __scope_attr__ = "store_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        store_id: Mapped[int] = mapped_column(Integer)
        total: Mapped[int] = mapped_column(Integer)

    class Staff(db.Model, Versioned, Grant):
        __tablename__ = "staff"
        __change_type__ = "staff"
        __scope_attr__ = "store_id"
        __grant_principal__ = "user_id"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        store_id: Mapped[int] = mapped_column(Integer)
        user_id: Mapped[str] = mapped_column(String(40))

    pf = pollfeed.Pollfeed(db=db, scope="store")
    pf.read_rule(lambda store_id, user_id, is_admin: exists().where(Staff.store_id == store_id,
                                                                     Staff.user_id == user_id))
    app = Flask("shop")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    pf.init_app(app)
    app.register_blueprint(pf.blueprint)
    migrate = Migrate(app, db, directory=directory)
    migrate.configure(pollfeed.include_migrations)

    @app.before_request
    def caller():  # the shop's own auth: a header naming the user
        name = request.headers.get("X-User")
        g.principal = SimpleNamespace(id=name, name=name, is_admin=False) if name else None

    @app.get("/orders/<int:order_id>")
    @poll.item(Order, id="order_id")
    def order(order):
        return {"id": str(order.id), "total": order.total}, 200, resources.headers(order)

    with app.app_context():
        # Two heads now, the shop's and the engine's: one merge revision joins them (the shop's head
        # first, so that the merge is written into the shop's own directory).
        merge(directory, revisions=["shop1", pollfeed.migrate.FIRST], message="pollfeed", rev_id="shopmerge")
        assert (tmp_path / "migrations" / "versions" / "shopmerge_pollfeed.py").exists()
        (tmp_path / "migrations" / "versions" / "shop2.py").write_text(VERSIONED.format(merge="shopmerge"))
        upgrade(directory)
        rows = db.session.execute(text("SELECT id, total, version, stamp FROM orders ORDER BY id")).all()
        assert [(r.id, r.total, r.version) for r in rows] == [(1, 10, 1), (2, 20, 1), (3, 30, 1)]  # kept
        assert {o.created_at.year for o in db.session.scalars(select(Order))} == {2020}  # its own column, kept
        assert all(r.stamp > 0 for r in rows) and len({r.stamp for r in rows}) == 3  # a random stamp each
        with pytest.raises(IntegrityError, match="must raise its version"):
            db.session.execute(text("UPDATE orders SET total = 0"))
        db.session.rollback()
    cli, c = app.test_cli_runner(), app.test_client()
    found = cli.invoke(args=["pollfeed", "verify"])
    assert found.exit_code != 0 and "order 1 exists but has no change at all" in found.output, found.output
    assert c.get("/changes?store=1", headers={"X-User": "ada"}).status_code == 404  # no access period yet
    done = cli.invoke(args=["pollfeed", "adopt"])
    assert done.exit_code == 0 and "logged 5 row(s)" in done.output, done.output
    assert cli.invoke(args=["pollfeed", "verify"]).exit_code == 0
    page = c.get("/changes?store=1", headers={"X-User": "ada"})
    assert page.status_code == 200, page.get_data(as_text=True)
    assert [(x["type"], x["id"], x["op"]) for x in page.get_json()["changes"]] == [
        ("staff", "1", "create"), ("order", "1", "create"), ("order", "2", "create")]
    first = c.get("/orders/1", headers={"X-User": "ada"})
    assert first.status_code == 200 and first.get_json()["total"] == 10
    assert c.get("/orders/1", headers={"X-User": "ada", "If-None-Match": first.headers["ETag"]}).status_code == 304
    assert c.get("/orders/3", headers={"X-User": "ada"}).status_code == 404  # the other store's
    with app.app_context():
        db.engine.dispose()

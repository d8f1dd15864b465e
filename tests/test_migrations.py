"""The migrations describe the models exactly, and the domains' migration can be undone and redone."""
from sqlalchemy import text

from app.extensions import db


def test_models_and_migrations_agree(runner):
    r = runner.invoke(args=["db", "check"])  # exits non-zero when models hold what no migration made
    assert r.exit_code == 0, r.output


def test_domains_migration_downgrades_and_upgrades_again(app, runner, alice, board):
    assert runner.invoke(args=["db", "downgrade", "0001"]).exit_code == 0
    with app.app_context():
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        db.session.remove()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert alice.get(f"/tasks/{board['task']['id']}").json["title"] == board["task"]["title"]  # data kept
    assert alice.get(f"/projects/{board['pid']}/customers").status_code == 200
    r = runner.invoke(args=["db", "check"])
    assert r.exit_code == 0, r.output

"""The Flask path's statements are prepared once per connection, and read requests stay reads (PostgreSQL).

psycopg forgets every prepared statement on rollback(); read requests end with COMMIT instead, in READ ONLY
transactions (app/database.py), so a connection keeps what it prepared across requests.
"""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.extensions import db

FLASK = {"pollfeed.poll_path": False}


@pytest.mark.app_config({"DATABASE_POOL_SIZE": 1})
def test_a_read_requests_statements_stay_prepared_from_request_to_request(app, world, callers):
    owner = callers["owner"]
    paths = [f"/tasks/{world['task']['id']}", f"/changes?project={world['pid']}", f"/projects/{world['pid']}/tasks"]
    for _ in range(8):  # psycopg prepares a statement on its fifth run on a connection
        for p in paths:
            assert owner.get(p, environ_overrides=FLASK).status_code == 200, p
    with app.app_context():
        raw = db.engine.raw_connection()  # the pool's one connection, which served every request
        try:
            cur = raw.cursor()
            cur.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
            rows = cur.fetchall()
            prepared = [row[0] for row in rows]
            raw.rollback()
        finally:
            raw.close()
    assert any("FROM tokens" in s for s in prepared), prepared  # every request's token lookup
    assert any("feed_access AS period" in s for s in prepared), prepared  # the feed's state
    assert any("FROM changes" in s for s in prepared), prepared  # the feed's page
    # each run planned for its own parameters: a generic plan of the page reads the scope's whole history
    assert all(generic == 0 for _, generic in rows), rows


def test_a_read_request_cannot_write(app):
    with app.test_request_context("/projects", method="GET"):
        with pytest.raises(DBAPIError, match="read-only transaction"):
            db.session.execute(text("UPDATE feed_state SET head = head WHERE id = 1"))
        db.session.rollback()
    with app.test_request_context("/projects", method="POST"):
        db.session.execute(text("UPDATE feed_state SET head = head WHERE id = 1"))
        db.session.rollback()

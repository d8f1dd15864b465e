"""pollfeed.resources: a write's answer is what its commit wrote."""
from sqlalchemy import create_engine, event, text

from pollfeed.state import db


def test_a_write_answers_with_what_it_committed_even_if_the_row_is_gone_right_after(app, alice, board):
    """Another transaction deletes the row between this write's COMMIT and its answer (a concurrent
    DELETE; on SQLite, a restore onto the live file). The answer is made from what was committed: a 201,
    not a 500 from reloading a row that is no longer there."""
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    gone = []

    def delete_it(session):
        for obj in list(session.identity_map.values()):
            if type(obj).__name__ == "Task" and obj.id not in gone and obj.id != board["task"]["id"]:
                gone.append(obj.id)
                with other.begin() as conn:
                    conn.execute(text("DELETE FROM tasks WHERE id = :id"), {"id": obj.id})

    with app.app_context():
        session_class = db.session.session_factory.class_
    event.listen(session_class, "after_commit", delete_it)
    try:
        r = alice.post(f"/projects/{board['pid']}/tasks", {"title": "Fleeting", "status_id": board["todo"]["id"]})
    finally:
        event.remove(session_class, "after_commit", delete_it)
        other.dispose()
    assert gone, "the row was deleted right after the commit"
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.json["title"] == "Fleeting" and r.json["id"] == gone[0] and r.json["version"] == 1
    assert r.headers["ETag"] == r.json["etag"]

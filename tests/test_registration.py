"""Domains take part through their init_app only; these guards fail when one forgets a registration."""
import os
import shutil

import pytest

from app import DOMAINS, create_app
from app.boards.models import project_rows_in_deletion_order
from app.extensions import db, pf
from pollfeed.versioned import models

from .support import Api, fresh_database

MODELS = models(db.metadata)


@pytest.fixture
def second_app(template_db, tmp_path):
    """Another app on a database of its own."""
    if template_db is None:
        url = fresh_database(os.environ["TEST_DATABASE_URL"], alongside=True)
    else:
        shutil.copy(template_db, tmp_path / "second.db")
        url = f"sqlite:///{tmp_path / 'second.db'}"
    second = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    yield second
    with second.app_context():
        db.engine.dispose()


def test_every_versioned_model_has_a_representation(app):
    missing = sorted(set(MODELS) - set(pf.representations))
    assert not missing, f"no represent() for {missing}: the feed would embed `resource: null`"


def test_every_model_with_a_project_key_is_deleted_with_its_project(app):
    parts = set(project_rows_in_deletion_order())
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if table.name == "projects":
            continue
        refers = any(fk.column.table.name == "projects" for col in table.columns for fk in col.foreign_keys)
        if refers:
            assert mapper.class_ in parts, f"{mapper.class_.__name__} is no project part: deleting a project 409s"


def test_domains_register_in_the_written_order(app):
    assert DOMAINS[0] == "boards"  # every other domain's rows belong to its projects
    names = [fn.__module__.split(".")[1] for fn in pf.derivers]
    assert names == sorted(names, key=DOMAINS.index)


def test_registering_twice_changes_nothing(app, database_url):
    before = (list(pf.derivers), dict(pf.representations), project_rows_in_deletion_order())
    create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert (list(pf.derivers), dict(pf.representations), project_rows_in_deletion_order()) == before


def label(value, labels):
    if isinstance(value, dict):
        return str(sorted((labels.get(k, k), v) for k, v in value.items()))
    return labels.get(str(value), str(value))


def derived_state(app, labels):
    """Every derived row (summaries, progress, notifications, unread counts), ids as `labels` name them,
    without timestamps."""
    from app.notifications.models import Notification, UnreadCount
    from app.progress.models import Progress, Summary

    with app.app_context():
        rows = {}
        for model, key in ((Summary, ("project_id", "by_status", "tasks_done", "version")),
                           (Progress, ("project_id", "user_id", "points", "completed_tasks", "streak_days",
                                       "version")),
                           (Notification, ("project_id", "user_id", "kind", "read", "version")),
                           (UnreadCount, ("project_id", "user_id", "unread", "version"))):
            rows[model.__name__] = sorted(
                tuple(label(getattr(obj, k, None), labels) for k in key)
                for obj in db.session.scalars(db.select(model)))
        return rows


def scenario(app):
    """Moves, assignments, points, messages and a new member: work for every deriver at once."""
    runner = app.test_cli_runner()

    def user(name):
        result = runner.invoke(args=["users", "create", name])
        assert result.exit_code == 0, (result.output, result.exception)
        token = result.stdout.strip().splitlines()[-1]
        return Api(app.test_client(), token, name)

    alice, bob = user("alice"), user("bob")
    pid = alice.created("/projects", {"name": "Derivers"})["id"]
    alice.add_member(pid, bob)
    todo = alice.created(f"/projects/{pid}/statuses", {"name": "Todo"})
    done = alice.created(f"/projects/{pid}/statuses", {"name": "Done", "done": True})
    for i in range(4):
        task = alice.created(f"/projects/{pid}/tasks", {"title": f"t{i}", "status_id": todo["id"], "points": i,
                                                        "assignee_id": bob.me()["id"]})
        if i % 2:
            alice.edit(f"/tasks/{task['id']}", {"status_id": done["id"]})
    thread = bob.created(f"/projects/{pid}/threads", {"subject": "Hi"})
    alice.created(f"/threads/{thread['id']}/messages", {"body": "hello"})
    return derived_state(app, {pid: "project", alice.me()["id"]: "alice", bob.me()["id"]: "bob",
                               todo["id"]: "todo", done["id"]: "done"})


def test_derivers_give_the_same_result_in_either_order(app, second_app):
    """Derivers run in DOMAINS order. Were the result to depend on it, this fails: the dependency must
    then be declared (and this test told of it), not left to the order of a tuple."""
    assert len(pf.derivers) >= 2
    in_order = scenario(app)
    registered = list(pf.derivers)
    pf.derivers.reverse()
    try:
        reversed_ = scenario(second_app)
    finally:
        pf.derivers[:] = registered
    assert in_order["Notification"] and in_order["Progress"]  # the scenario gave every deriver work
    assert reversed_ == in_order

"""Bearer tokens: 401s, hashing, revocation, the CLI."""
from sqlalchemy import select

from app.auth.models import Token
from app.extensions import db

from ..support import problem


def test_missing_or_bad_token_is_401_with_bearer_challenge(anonymous, alice):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        r = anonymous.get("/projects", headers=headers)
        problem(r, 401)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_health_needs_no_token(anonymous):
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/readyz").status_code == 200


def test_me(alice, admin):
    me = alice.me()
    assert me["name"] == "alice" and me["is_admin"] is False and me["id"]
    assert admin.me()["is_admin"] is True
    r = alice.get("/me")
    assert alice.get("/me", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_tokens_are_stored_only_as_hashes(app, alice):
    with app.app_context():
        hashes = list(db.session.scalars(select(Token.token_hash)))
    assert alice.token not in hashes and all(len(h) == 64 for h in hashes)


def test_issue_list_and_revoke(app, runner, alice):
    second = runner.invoke(args=["tokens", "issue", "alice"]).stdout.strip().splitlines()[-1]
    assert second.startswith("pf_") and second != alice.token
    alice2 = type(alice)(app.test_client(), second, "alice")
    assert alice2.me()["name"] == "alice"
    listed = runner.invoke(args=["tokens", "list", "alice"]).stdout
    assert listed.count("live") == 2
    r = runner.invoke(args=["tokens", "revoke", second])
    assert r.exit_code == 0
    problem(alice2.get("/me"), 401)
    assert alice.get("/me").status_code == 200
    token_id = runner.invoke(args=["tokens", "list", "alice"]).stdout.split()[0]
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    problem(alice.get("/me"), 401)
    assert runner.invoke(args=["tokens", "revoke", "pf_nothing"]).exit_code != 0


def test_users_create_prints_token_last_and_refuses_duplicates(runner, alice):
    r = runner.invoke(args=["users", "create", "dora", "--admin"])
    assert r.exit_code == 0 and r.stdout.strip().splitlines()[-1].startswith("pf_")
    assert runner.invoke(args=["users", "create", "dora"]).exit_code != 0
    listing = runner.invoke(args=["users", "list"]).stdout
    assert "dora  (admin)" in listing and "alice" in listing

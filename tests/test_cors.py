"""CORS_ORIGINS (app/cors.py): preflights without a token, conditional headers allowed, validators exposed."""
import pytest

ORIGIN = "http://127.0.0.1:3000"
cors = pytest.mark.app_config({"CORS_ORIGINS": [ORIGIN, "https://app.example.com"]})


@cors
def test_a_preflight_needs_no_token_and_allows_the_conditional_and_idempotency_headers(anonymous, board):
    r = anonymous.request("OPTIONS", f"/tasks/{board['task']['id']}", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, if-match, content-type"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PATCH" in r.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "if-match", "content-type"} <= allowed
    r = anonymous.request("OPTIONS", f"/projects/{board['pid']}/tasks", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "idempotency-key, if-none-match, authorization"})
    assert {"idempotency-key", "if-none-match"} <= {h.strip().lower()
                                                     for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert "Access-Control-Allow-Credentials" not in r.headers  # bearer tokens, no cookies


@cors
def test_a_cross_origin_poll_reads_the_validators_and_the_advice_and_gets_its_304(alice, board):
    path = f"/projects/{board['pid']}/tasks"
    r = alice.get(path, headers={"Origin": ORIGIN})
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN and "Origin" in r.headers["Vary"]
    exposed = {h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Poll-Interval", "Retry-After", "Location"} <= exposed
    again = alice.get(path, headers={"Origin": ORIGIN, "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Access-Control-Allow-Origin"] == ORIGIN
    created = alice.post(path, {"title": "x", "status_id": board["todo"]["id"]}, headers={"Origin": ORIGIN})
    assert created.status_code == 201 and created.headers["Access-Control-Allow-Origin"] == ORIGIN


@cors
def test_an_origin_not_listed_gets_no_cors_headers(alice, board):
    r = alice.get(f"/projects/{board['pid']}/tasks", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_without_cors_origins_there_are_no_cors_headers(alice, anonymous, board):
    r = alice.get(f"/projects/{board['pid']}/tasks", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in r.headers
    pre = anonymous.request("OPTIONS", f"/projects/{board['pid']}/tasks", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in pre.headers


credentials = pytest.mark.app_config({"CORS_ORIGINS": [ORIGIN], "CORS_CREDENTIALS": True})


@credentials
def test_cors_credentials_lets_the_listed_origins_send_cookies(alice, anonymous, board):
    path = f"/projects/{board['pid']}/tasks"
    pre = anonymous.request("OPTIONS", path, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key"})
    assert pre.headers["Access-Control-Allow-Origin"] == ORIGIN  # its own origin: never * with credentials
    assert pre.headers["Access-Control-Allow-Credentials"] == "true"
    r = alice.get(path, headers={"Origin": ORIGIN})
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    other = alice.get(path, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Credentials" not in other.headers


def test_cors_credentials_is_refused_with_any_origin(database_url):
    from app import create_app

    with pytest.raises(ValueError, match="CORS_CREDENTIALS"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "CORS_ORIGINS": ["*"],
                    "CORS_CREDENTIALS": True})


def test_cors_credentials_is_read_as_a_boolean_and_off_by_default():
    from app.config import load

    assert load({})["CORS_CREDENTIALS"] is False
    assert load({"CORS_CREDENTIALS": "true"})["CORS_CREDENTIALS"] is True
    with pytest.raises(ValueError, match="CORS_CREDENTIALS"):
        load({"CORS_CREDENTIALS": "maybe"})

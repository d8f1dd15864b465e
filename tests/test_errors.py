"""Errors, docs/http-api.md section 5: problem+json for everything, never a 500 for bad input."""
import os

from .support import problem


def test_malformed_json_is_400(alice):
    problem(alice.post("/projects", data=b"{not json", content_type="application/json"), 400)


def test_non_json_body_is_415(alice, board):
    problem(alice.post("/projects", data=b"name=x", content_type="application/x-www-form-urlencoded"), 415)
    problem(alice.patch(f"/tasks/{board['task']['id']}", data=b"x", content_type="text/plain",
                        headers={"If-Match": "*"}), 415)


def test_body_not_an_object_is_422(alice):
    problem(alice.post("/projects", data=b"[1]", content_type="application/json"), 422)


def test_oversized_body_is_413(app, alice):
    big = b'{"name": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    problem(alice.post("/projects", data=big, content_type="application/json"), 413)


def test_405_carries_allow(alice):
    r = alice.request("PUT", "/projects", json={})
    problem(r, 405)
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_unknown_route_is_404_problem(alice):
    problem(alice.get("/nope"), 404)


def test_database_down_is_503_with_retry_after(app, alice, database_url):
    if not database_url.startswith("sqlite"):
        return  # PostgreSQL has its own stop-and-start test
    path = database_url[len("sqlite:///"):]
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()
    os.rename(path, path + ".away")
    os.makedirs(path)  # a directory where the database was: every connection fails
    try:
        r = alice.get("/projects")
        problem(r, 503)
        assert int(r.headers["Retry-After"]) > 0
        ready = alice.get("/readyz")
        assert ready.status_code == 503 and ready.headers["Retry-After"]
    finally:
        os.rmdir(path)
        os.rename(path + ".away", path)
    assert alice.get("/projects").status_code == 200
    assert alice.get("/readyz").status_code == 200


def test_openapi_describes_every_operation(app, anonymous):
    spec = anonymous.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops
                  if method != "parameters"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("boards", "changes", "auth", "events", "messages", "notifications",
                                           "customers", "progress"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, (path, method)
    task_get = spec["paths"]["/tasks/{task_id}"]["get"]
    assert "ETag" in task_get["responses"]["200"]["headers"] and "304" in task_get["responses"]
    assert spec["paths"]["/tasks/{task_id}"]["patch"]["requestBody"]
    decision = spec["paths"]["/events/{event_id}/decision"]["post"]
    assert decision["requestBody"] and "412" in decision["responses"] and "403" in decision["responses"]
    search = spec["paths"]["/projects/{project_id}/customers"]["get"]
    assert any(p["name"] == "q" for p in search["parameters"])
    assert "unread-count" in "".join(spec["paths"])

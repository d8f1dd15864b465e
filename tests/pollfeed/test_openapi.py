"""The OpenAPI document is exact (pollfeed/openapi.py): If-Match required where the server answers 428 without
it, following POLLFEED_REQUIRE_IF_MATCH; each operation's statuses; errors as problem+json; the cursor's
pattern, checked against the cursors the server issues and the ones it refuses."""
import re
import secrets

import pytest

from pollfeed import cursor, stamps

from ..support import problem

METHODS = ("get", "post", "put", "patch", "delete")


def operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in METHODS:
                yield path, method, op


def header(op, name):
    return next((p for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == name), None)


def setting(value):
    return pytest.param(value, marks=pytest.mark.app_config({"POLLFEED_REQUIRE_IF_MATCH": value}), id=str(value))


@pytest.mark.parametrize("required", [setting(True), setting(False)])
def test_if_match_is_required_exactly_when_the_server_requires_it(required, anonymous, alice, board):
    spec = anonymous.get("/openapi.json").json
    writes = 0
    for path, method, op in operations(spec):
        if method in ("patch", "delete"):
            writes += 1
            assert header(op, "If-Match")["required"] is required, (method, path)
            assert ("428" in op["responses"]) is required, (method, path)
    assert writes > 15
    # ...as the server does: the same PATCH without If-Match is 428, or goes through.
    task = f"/tasks/{board['task']['id']}"
    answer = alice.patch(task, {"title": "Renamed"})
    if required:
        problem(answer, 428)
    else:
        assert answer.status_code == 200


@pytest.mark.parametrize("required", [setting(True), setting(False)])
def test_a_put_that_may_create_leaves_if_match_optional(required, anonymous):
    put = anonymous.get("/openapi.json").json["paths"]["/projects/{project_id}/members/{user_id}"]["put"]
    assert "201" in put["responses"] and header(put, "If-Match")["required"] is False
    assert header(put, "If-None-Match")  # `*`: create only
    assert ("428" in put["responses"]) is required  # replacing a membership without If-Match


def test_creates_never_answer_412_or_428(anonymous):
    spec = anonymous.get("/openapi.json").json
    creates = 0
    for path, method, op in operations(spec):
        if method == "post" and "201" in op["responses"]:
            creates += 1
            assert not {"412", "428"} & set(op["responses"]), path
            assert header(op, "If-Match") is None, path
    assert creates >= 8


def test_a_post_on_an_existing_item_is_a_conditional_write(anonymous):
    paths = anonymous.get("/openapi.json").json["paths"]
    for path in ("/events/{event_id}/decision", "/projects/{project_id}/notifications/mark-all-read"):
        op = paths[path]["post"]
        assert {"412", "428"} <= set(op["responses"]) and header(op, "If-Match")["required"] is True, path


def test_statuses_are_the_ones_each_operation_can_answer(anonymous):
    spec = anonymous.get("/openapi.json").json
    for path, method, op in operations(spec):
        codes = set(op["responses"])
        assert {"400", "401", "503"} <= codes, (method, path)
        assert ("404" in codes) is ("{" in path or path == "/changes"), (method, path)
        if method == "get":
            assert {"304", "412"} <= codes and not {"409", "413", "415", "422", "428"} & codes, path
        else:
            assert ("415" in codes) is ("requestBody" in op), (method, path)
            assert {"409", "413", "422"} <= codes and "304" not in codes, (method, path)
    assert "410" in spec["paths"]["/changes"]["get"]["responses"]
    # 403 only where the domain says who may write: owners for a project, anyone who reads it for a task
    assert "403" in spec["paths"]["/projects/{project_id}"]["patch"]["responses"]
    assert "403" not in spec["paths"]["/tasks/{task_id}"]["patch"]["responses"]


def test_every_error_is_problem_json(anonymous):
    spec = anonymous.get("/openapi.json").json
    assert spec["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
    for path, method, op in operations(spec):
        assert "default" not in op["responses"], (method, path)
        for code, response in op["responses"].items():
            if int(code) >= 400:
                assert response["content"] == {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path, code)
            if code == "304":
                assert "content" not in response, (method, path)


def cursor_patterns(spec):
    """(the pattern of ?since=, the patterns of every cursor a response gives)."""
    since = next(p for p in spec["paths"]["/changes"]["get"]["parameters"] if p["name"] == "since")
    schemas = spec["components"]["schemas"]
    given = {schemas["Change"]["properties"]["cursor"]["pattern"],
             schemas["ChangesPage"]["properties"]["next"]["pattern"]}
    lists = [s["properties"]["cursor"] for s in schemas.values() if "items" in s.get("properties", {})]
    assert len(lists) > 5
    given |= {c["pattern"] for c in lists}
    return since["schema"]["pattern"], given


def test_the_cursor_pattern_takes_what_the_server_issues(anonymous, alice, board):
    since, given = cursor_patterns(anonymous.get("/openapi.json").json)
    assert given == {cursor.PATTERN}
    issued = [cursor.encode(secrets.token_hex(4), position, stamp)
              for position in (0, 1, 35, 36, 10**6, 36**13 - 1) for stamp in (1, stamps.new(), 2**stamps.BITS - 1)]
    pid = board["pid"]
    listed = alice.get(f"/projects/{pid}/tasks").json["cursor"]
    page = alice.get("/changes").json
    issued += [listed, page["next"], *(c["cursor"] for c in page["changes"])]
    for text in issued:
        assert re.search(cursor.PATTERN, text) and re.search(since, text), text
        assert cursor.parse(text)
    assert re.search(since, "now") and not re.search(cursor.PATTERN, "now")
    # and the server follows them, as the pattern promises: no 400 for any of them
    for text in (listed, page["next"], "now"):
        assert alice.get(f"/changes?since={text}").status_code == 200, text


@pytest.mark.parametrize("text", ["", "deadbeef", "DEADBEEF.1.2", "a.1.2.3", "a..1", ".1", "a.", "a.1.",
                                  "a" * 17 + ".1", "a." + "1" * 14, "a.1." + "1" * 11, "a-b.1", "a.1~2", "Now"])
def test_the_cursor_pattern_refuses_what_the_server_refuses(text, anonymous, alice):
    since, _ = cursor_patterns(anonymous.get("/openapi.json").json)
    assert not re.search(since, text)
    with pytest.raises(cursor.BadCursor):
        cursor.parse(text)
    if text:
        problem(alice.get(f"/changes?since={text}"), 400)


@pytest.mark.parametrize("text", ["0.0", "ffffffff.1", "ffffffff.1.1", "z" * 16 + "." + "z" * 13 + "." + "z" * 10])
def test_a_well_formed_cursor_from_elsewhere_is_410_not_400(text, anonymous, alice):
    since, _ = cursor_patterns(anonymous.get("/openapi.json").json)
    assert re.search(since, text)
    problem(alice.get(f"/changes?since={text}"), 410)
    problem(alice.get(f"/changes?since={text}", headers={"If-None-Match": '"a-tag"'}), 410)  # the poll path's

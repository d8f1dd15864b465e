"""Conditional requests, docs/http-api.md section 2: 304, 412, 428, and the 304's own cost."""
from datetime import datetime, timedelta, timezone

from werkzeug.http import http_date

from ..support import problem

COMMON = ("ETag", "Cache-Control", "Vary", "Poll-Interval")


def test_if_none_match_forms(alice, board):
    path = f"/tasks/{board['task']['id']}"
    etag = alice.get(path).headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    for header in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        r = alice.get(path, headers={"If-None-Match": header})
        assert r.status_code == 304, header
        assert r.data == b""
    assert alice.get(path, headers={"If-None-Match": '"nope"'}).status_code == 200


def test_304_repeats_the_200s_headers(alice, board):
    path = f"/tasks/{board['task']['id']}"
    ok = alice.get(path)
    nm = alice.get(path, headers={"If-None-Match": ok.headers["ETag"]})
    for name in COMMON:
        assert nm.headers[name] == ok.headers[name], name
    assert ok.headers["Cache-Control"] == "private, no-cache"
    assert ok.headers["Vary"] == "Authorization"
    assert ok.headers["Poll-Interval"] == "visible=5, hidden=60"


def test_if_modified_since(alice, board):
    path = f"/tasks/{board['task']['id']}"
    lm = alice.get(path).headers["Last-Modified"]
    assert alice.get(path, headers={"If-Modified-Since": lm}).status_code == 304
    # only the date it was sent names the version: a later one might be from before a restore (docs/http-api.md)
    later = http_date(datetime.now(timezone.utc) + timedelta(hours=1))
    assert alice.get(path, headers={"If-Modified-Since": later}).status_code == 200
    earlier = http_date(datetime.now(timezone.utc) - timedelta(hours=1))
    assert alice.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match wins over If-Modified-Since
    assert alice.get(path, headers={"If-Modified-Since": lm, "If-None-Match": '"x"'}).status_code == 200


def test_head_is_conditional_too(alice, board):
    path = f"/tasks/{board['task']['id']}"
    g = alice.get(path)
    h = alice.head(path)
    assert h.status_code == 200 and h.data == b"" and h.headers["ETag"] == g.headers["ETag"]
    assert alice.head(path, headers={"If-None-Match": g.headers["ETag"]}).status_code == 304


def test_write_preconditions(alice, board):
    path = f"/tasks/{board['task']['id']}"
    etag = alice.get(path).headers["ETag"]
    problem(alice.patch(path, {"title": "x"}), 428)
    stale = alice.patch(path, {"title": "x"}, headers={"If-Match": '"v999"'})
    problem(stale, 412)
    assert stale.headers["ETag"] == etag  # the 412 names the current tag
    # the weak form of a stale tag (as a gzipping proxy hands it out) is stale all the same
    problem(alice.patch(path, {"title": "x"}, headers={"If-Match": 'W/"v999"'}), 412)
    ok = alice.patch(path, {"title": "y"}, headers={"If-Match": f'"other", {etag}'})
    assert ok.status_code == 200 and ok.json["version"] == 2 and ok.headers["ETag"] != etag
    problem(alice.patch(path, {"title": "x"}, headers={"If-Match": f"W/{etag}"}), 412)  # version 1: stale now
    # ...and the weak form of the current tag matches: the proxy weakened it, the version is the same
    weakened = "W/" + ok.headers["ETag"]
    assert alice.patch(path, {"title": "z"}, headers={"If-Match": weakened}).json["version"] == 3
    assert alice.patch(path, {"title": "zz"}, headers={"If-Match": "*"}).json["version"] == 4
    problem(alice.delete(path, headers={"If-Match": etag}), 412)
    problem(alice.delete(path), 428)


def test_if_unmodified_since(alice, board):
    path = f"/tasks/{board['task']['id']}"
    old = http_date(datetime.now(timezone.utc) - timedelta(hours=1))
    new = http_date(datetime.now(timezone.utc) + timedelta(hours=1))
    problem(alice.patch(path, {"title": "x"}, headers={"If-Unmodified-Since": old}), 412)
    # a date the server never sent names no version: a later one might be from before a restore
    problem(alice.patch(path, {"title": "x"}, headers={"If-Unmodified-Since": new}), 412)
    lm = alice.get(path).headers["Last-Modified"]
    assert alice.patch(path, {"title": "x"}, headers={"If-Unmodified-Since": lm}).status_code == 200
    # ignored when If-Match is present
    etag = alice.get(path).headers["ETag"]
    assert alice.patch(path, {"title": "y"}, headers={"If-Unmodified-Since": old, "If-Match": etag}).status_code == 200
    problem(alice.patch(path, {"title": "x"}, headers={"If-Unmodified-Since": "yesterday"}), 400)


def test_require_if_match_can_be_turned_off(app, alice, board):
    app.config["POLLFEED_REQUIRE_IF_MATCH"] = False
    assert alice.patch(f"/tasks/{board['task']['id']}", {"title": "x"}).status_code == 200


FLASK_PATH = {"environ_overrides": {"pollfeed.poll_path": False}}  # these count the Flask path's own queries


def test_item_304_loads_no_row(alice, board, statements):
    path = f"/tasks/{board['task']['id']}"
    etag = alice.get(path).headers["ETag"]
    statements.clear()
    assert alice.get(path, headers={"If-None-Match": etag}, **FLASK_PATH).status_code == 304
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 2, queries  # the token, then the version
    assert not any("tasks.title" in q for q in queries)


def test_list_304_reads_no_member(alice, board, statements):
    path = f"/projects/{board['pid']}/tasks"
    etag = alice.get(path).headers["ETag"]
    statements.clear()
    assert alice.get(path, headers={"If-None-Match": etag}, **FLASK_PATH).status_code == 304
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 2, queries
    assert not any("FROM tasks" in q for q in queries)


def test_feed_304_reads_no_change(alice, board, statements):
    first = alice.get("/changes?since=now")
    url = f"/changes?since={first.json['next']}"
    etag = alice.get(url).headers["ETag"]
    statements.clear()
    assert alice.get(url, headers={"If-None-Match": etag}, **FLASK_PATH).status_code == 304
    # The state statement looks up two stamps by position (the cursor's and the watermark's), and no
    # change of the page: none of the columns a page shows is read.
    assert not any("changes.resource_id" in s or "changes.type" in s for s in statements), statements
    assert sum("FROM changes" in s for s in statements) == 1, statements


def test_another_tenant_gets_404_even_with_the_right_tag(alice, bob, board):
    path = f"/tasks/{board['task']['id']}"
    etag = alice.get(path).headers["ETag"]
    problem(bob.get(path, headers={"If-None-Match": etag}), 404)
    problem(bob.get(path, headers={"If-None-Match": "*"}), 404)
    problem(bob.patch(path, {"title": "x"}, headers={"If-Match": etag}), 404)
    problem(bob.patch(path, {"title": "x"}), 404)  # 404 before 428
    problem(bob.delete(path, headers={"If-Match": "*"}), 404)
    problem(bob.get(f"/projects/{board['pid']}/tasks", headers={"If-None-Match": "*"}), 404)


def test_a_get_with_a_non_matching_if_match_is_412(alice, board):
    """RFC 9110 section 13.1.1: If-Match applies to every method, GET included (strong comparison)."""
    pid = board["pid"]
    for path in (f"/tasks/{board['task']['id']}", f"/projects/{pid}/tasks", "/projects",
                 f"/projects/{pid}/notifications/unread-count"):
        ok = alice.get(path)
        etag = ok.headers["ETag"]
        assert alice.get(path, headers={"If-Match": etag}).status_code == 200, path
        assert alice.get(path, headers={"If-Match": "*"}).status_code == 200, path
        r = alice.get(path, headers={"If-Match": '"nope"'})
        problem(r, 412)
        assert r.headers["ETag"] == etag, path
        assert alice.get(path, headers={"If-Match": "W/" + etag}).status_code == 200, path  # a proxy's weakening
        problem(alice.get(path, headers={"If-Match": 'W/"nope"'}), 412)
        # If-Match is decided before If-None-Match
        problem(alice.get(path, headers={"If-Match": '"nope"', "If-None-Match": etag}), 412)
    alice.created(f"/projects/{pid}/customers", {"first_name": "Ada", "last_name": "Lovelace"})
    search = f"/projects/{pid}/customers?q=ada"
    weak = alice.get(search).headers["ETag"]
    assert weak.startswith("W/")
    problem(alice.get(search, headers={"If-Match": weak}), 412)  # a tag we issue weak matches only *


def test_a_write_without_a_body_is_422(alice, board):
    path = f"/tasks/{board['task']['id']}"
    for kw in ({}, {"data": b"", "content_type": "application/json"}):
        body = problem(alice.patch(path, headers={"If-Match": "*"}, **kw), 422)
        assert body["errors"] == {"_schema": ["A JSON body is required."]}
        problem(alice.post(f"/projects/{board['pid']}/statuses", **kw), 422)
    assert alice.patch(path, {}, headers={"If-Match": "*"}).status_code == 200  # an empty patch changes nothing

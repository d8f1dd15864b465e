"""The poll path (pollfeed/poll/) against the Flask path, on every GET route: same answers, header by header."""
import pytest

from pollfeed import poll

from ..support import api_get_routes, fill

FLASK = {"pollfeed.poll_path": False}
#: Variants of routes whose query strings change what tags them.
QUERIES = {
    "/projects/<project_id>/tasks": ["?limit=5", "?status_id={todo}", "?q=fix", "?limit=abc"],
    "/projects/<project_id>/customers": ["?q=ada", "?limit=2"],
    "/projects/<project_id>/notifications": ["?unread=true", "?unread=maybe"],
    "/projects/<project_id>/events": ["?status=approved", "?from=2031-01-01T00:00:00Z", "?status=nope"],
    "/changes": ["?since=now", "", "?project={pid}", "?project={pid}&since=now", "?types=task,status",
                 "?types=task&include=resource&limit=7", "?limit=0", "?since=zz.1", "?project={pid}/x",
                 "?since={cursor}&project={pid}", "?since={cursor}", "?limit=1001", "?limit=abc", "?types=nope",
                 "?types=", "?include=other", "?since=", "?since=a%20b", "?limit=1000&types=progress"],
    "/projects": ["?limit=1", "?limit=-1"],
}


def pair(api, path, headers):
    headers = {"X-Request-Id": "differential", **(headers or {})}  # echoed by both: the same id
    fast = api.get(path, headers=headers)
    slow = api.get(path, headers=headers, environ_overrides=FLASK)
    assert fast.headers["X-Request-Id"] == slow.headers["X-Request-Id"] == "differential"
    return fast, slow


def same(fast, slow, where):
    assert fast.status_code == slow.status_code, (where, fast.status_code, slow.status_code)
    assert list(fast.headers.items()) == list(slow.headers.items()), where
    assert fast.get_data() == slow.get_data(), where


def test_every_get_route_answers_the_same_on_both_paths(app, world, callers):
    poll_path = app.extensions["pollfeed"].poll_path
    cursor = callers["owner"].feed("now")["next"]
    callers["owner"].created(f"/projects/{world['pid']}/statuses", {"name": "Later"})
    checked, fast_by_rule = 0, {}
    for rule in api_get_routes(app):
        base = fill(rule, world)
        for query in ["", *QUERIES.get(rule, [])]:
            path = base + query.format(pid=world["pid"], todo=world["todo"]["id"], cursor=cursor)
            for role in ("owner", "member", "outsider", "admin"):
                api = callers[role]
                first = api.get(path, environ_overrides=FLASK)
                etag = first.headers.get("ETag")
                for headers in ({"If-None-Match": etag} if etag else {}, {"If-None-Match": '"nope"'},
                                {"If-None-Match": "*"}, {"If-None-Match": f'"x", W/{etag}' if etag else '"x"'},
                                {"If-None-Match": etag or "*", "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"}):
                    before = poll_path.answered
                    fast, slow = pair(api, path, headers)
                    same(fast, slow, (path, role, headers))
                    fast_by_rule[rule] = fast_by_rule.get(rule, 0) + poll_path.answered - before
                    checked += 1
                head = api.head(path, headers={"If-None-Match": etag or "*"})
                assert head.status_code == api.head(path, headers={"If-None-Match": etag or "*"},
                                                    environ_overrides=FLASK).status_code
    assert checked > 500
    declared = {r.rule for r in app.url_map.iter_rules() if declares(app, r)}
    assert len(declared) >= 20
    # every declared route's 304s really came from the poll path; the others' from Flask
    assert {rule for rule, n in fast_by_rule.items() if n} == declared


def test_each_callers_current_tag_is_the_poll_paths_304_on_every_declared_route(app, world, callers):
    """Both paths run one tag query per declaration, so each caller's current tag, made by Flask, is
    the tag the poll path makes: every declared route's conditional poll is its 304, for every role.
    (The differential test above counts per route, not per role: a path that made another tag for one
    role would pass it, as Flask answers the same 304 after it.)"""
    poll_path = app.extensions["pollfeed"].poll_path
    pid = world["pid"]
    # A change private to bob, in a transaction newer than the project's last: an admin's view of the
    # project's feed takes the project's watermark and their own private one, never bob's.
    bob = callers["member"]
    count = bob.get(f"/projects/{pid}/notifications/unread-count")
    assert bob.post(f"/projects/{pid}/notifications/mark-all-read",
                    headers={"If-Match": count.headers["ETag"]}).status_code == 200
    # (An optional item's missing row, the unread count of a caller who never had one, is Flask's to
    # answer: the view says what stands for it.)
    declared = [r.rule for r in app.url_map.iter_rules() if declares(app, r) and not getattr(
        spec_of(app, r), "optional", False)]
    paths = [fill(rule, world) for rule in declared] + [f"/changes?project={pid}", f"/changes?project={pid}&since=now"]
    answered = 0
    for path in paths:
        for role in ("owner", "member", "outsider", "admin"):
            api = callers[role]
            first = api.get(path, environ_overrides=FLASK)
            if first.status_code != 200:
                continue  # a 404 (the outsider's): Flask's, on both paths
            before = poll_path.answered
            again = api.get(path, headers={"If-None-Match": first.headers["ETag"]})
            assert again.status_code == 304 and poll_path.answered == before + 1, (path, role)
            answered += 1
    assert answered >= 3 * len(paths)


def spec_of(app, rule):
    view = app.view_functions[rule.endpoint]
    return getattr(getattr(getattr(view, "view_class", None), "get", view), "__poll__", None)


def declares(app, rule):
    return "GET" in rule.methods and spec_of(app, rule) is not None


def test_a_poll_is_one_statement(app, world, callers, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("counted with SQLite's trace callback")
    poll_path = app.extensions["pollfeed"].poll_path
    owner = callers["owner"]
    paths = [f"/tasks/{world['task']['id']}", f"/projects/{world['pid']}/tasks", "/changes?since=now",
             f"/changes?project={world['pid']}", f"/projects/{world['pid']}/notifications/unread-count", "/projects",
             f"/projects/{world['pid']}/customers?q=ada", f"/projects/{world['pid']}/booked-events"]
    tags = {p: owner.get(p).headers["ETag"] for p in paths}
    owner.get(f"/projects/{world['pid']}/statuses", headers={"If-None-Match": "*"})  # opens the connection
    seen = []

    def statements():
        return [s for s in seen if s != "PRAGMA data_version"]

    assert poll_path.local.record.__module__ == "pollfeed.walindex"  # a database file in WAL mode: its header
    poll_path.local.conn.set_trace_callback(seen.append)
    try:
        for p in paths:
            seen.clear()
            before = poll_path.answered
            assert owner.get(p, headers={"If-None-Match": tags[p]}).status_code == 304, p
            assert poll_path.answered == before + 1, p
            assert len(statements()) == 1 and statements()[0].lstrip().upper().startswith("SELECT"), (p, seen)
            # no change and no row is read: only stamps, by position (feed.stamp_at)
            assert "changes.resource_id" not in seen[-1] and "title" not in seen[-1], p
        for p in paths:  # asked again with nothing committed: the WAL-index header is read, no statement runs
            seen.clear()
            assert owner.get(p, headers={"If-None-Match": tags[p]}).status_code == 304, p
            assert seen == [], (p, seen)
        owner.created("/projects", {"name": "elsewhere"})  # a commit: the counter moves, this project's watermark not
        for p in paths[-2:]:  # a digest poll then reads the watermark only: the digest is remembered
            seen.clear()
            assert owner.get(p, headers={"If-None-Match": tags[p]}).status_code == 304, p
            assert len(statements()) == 1, (p, seen)
            assert "LIKE" not in statements()[0].upper() and "bookings" not in statements()[0], (p, seen)
    finally:
        poll_path.local.conn.set_trace_callback(None)



def test_on_postgresql_a_poll_is_one_prepared_statement_never_replanned(app, world, callers, database_url):
    """psycopg prepares a statement run a few times; the poll path's connection also asks for generic
    plans, so PostgreSQL does not plan a poll's statement again on every run (custom plans)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's plan cache")
    poll_path = app.extensions["pollfeed"].poll_path
    owner = callers["owner"]
    paths = [f"/tasks/{world['task']['id']}", f"/projects/{world['pid']}/tasks", "/changes?since=now",
             f"/changes?project={world['pid']}", f"/projects/{world['pid']}/notifications/unread-count"]
    tags = {p: owner.get(p).headers["ETag"] for p in paths}
    for _ in range(8):
        for p in paths:
            assert owner.get(p, headers={"If-None-Match": tags[p]}).status_code == 304, p
    with poll_path.local.conn.cursor() as cur:
        cur.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        # the poll path's own statements (each selects its principal as pf_*): the connection came from the
        # pool, where the Flask path's statements may have been prepared before
        prepared = [row for row in cur.fetchall() if "AS pf_token_hash" in row[0]]
    assert len(prepared) == len(paths), prepared  # one statement per kind of poll, each prepared
    assert all(generic >= 1 and custom == 0 for _, generic, custom in prepared), prepared


@pytest.mark.parametrize("record", ["WAL-index header", "PRAGMA data_version"])
def test_a_remembered_answer_never_outlives_a_commit_from_any_connection(app, world, callers, database_url, record):
    """The SQLite memo (POLL_MEMO) holds only while the record of commits stands (the WAL-index header,
    or PRAGMA data_version where the header cannot be read): a commit by a connection the server knows
    nothing of (another process's) makes the next poll read the database again."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's change counter")
    import sqlite3

    poll_path = app.extensions["pollfeed"].poll_path
    owner, path = callers["owner"], f"/tasks/{world['task']['id']}"
    tag = owner.get(path).headers["ETag"]
    assert owner.get(path, headers={"If-None-Match": tag}).status_code == 304  # opens the poll connection
    assert poll_path.local.record.__module__ == "pollfeed.walindex"
    if record == "PRAGMA data_version":
        poll_path.local.record = poll.data_version(poll_path.local.conn)  # as where the header cannot be read
    for _ in range(3):
        before = poll_path.answered
        assert owner.get(path, headers={"If-None-Match": tag}).status_code == 304
        assert poll_path.answered == before + 1
    outside = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    with outside:
        outside.execute("UPDATE tasks SET version = version + 1 WHERE id = ?", (world["task"]["id"],))
    outside.close()
    fresh = owner.get(path, headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag


def test_a_remembered_search_digest_never_outlives_a_change(app, world, callers):
    owner = callers["owner"]
    search = f"/projects/{world['pid']}/customers?q=ada"
    tag = owner.get(search).headers["ETag"]
    for _ in range(2):  # the second one is answered from the remembered digest
        assert owner.get(search, headers={"If-None-Match": tag}).status_code == 304
    owner.edit(f"/tasks/{world['task']['id']}", {"title": "not a customer"})  # the watermark moves...
    assert owner.get(search, headers={"If-None-Match": tag}).status_code == 304  # ...the matching rows did not
    owner.edit(f"/customers/{world['customer']['id']}", {"phone": "+1 555 0100"})
    fresh = owner.get(search, headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag
    assert fresh.json["items"][0]["phone"] == "+1 555 0100"
    assert owner.get(search, headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304


def test_a_revoked_token_or_a_removed_member_is_never_answered_304(app, world, callers, alice, runner):
    bob = callers["member"]
    path = f"/tasks/{world['task']['id']}"
    etag = bob.get(path).headers["ETag"]
    assert bob.get(path, headers={"If-None-Match": etag}).status_code == 304
    alice.remove(f"/projects/{world['pid']}/members/{world['bob_id']}")
    assert bob.get(path, headers={"If-None-Match": etag}).status_code == 404
    carol = callers["outsider"]
    mine = carol.get("/projects").headers["ETag"]
    assert carol.get("/projects", headers={"If-None-Match": mine}).status_code == 304
    assert runner.invoke(args=["tokens", "revoke", carol.token]).exit_code == 0
    assert carol.get("/projects", headers={"If-None-Match": mine}).status_code == 401


def test_a_poll_answered_200_is_authenticated_once_by_the_poll_paths_statement(world, callers, statements):
    """A stale-tag poll goes to Flask with the caller the poll path's statement found for its token: Flask
    looks no token up. A caller handed on for another token is not taken."""
    owner, member = callers["owner"], callers["member"]
    path = f"/tasks/{world['task']['id']}"
    statements.clear()
    r = owner.get(path, headers={"If-None-Match": '"stale"'})
    assert r.status_code == 200 and r.json["id"] == world["task"]["id"]
    assert not [s for s in statements if "FROM tokens" in s], statements
    statements.clear()
    r = owner.get(path)  # not conditional: the poll path is not asked, Flask looks the token up
    assert r.status_code == 200 and [s for s in statements if "FROM tokens" in s]
    other = ("0" * 64, member.me()["id"], "member", True)  # someone else's caller, as if handed on
    me = owner.get("/me", headers={"If-None-Match": '"stale"'}, environ_overrides={poll.PRINCIPAL_KEY: other})
    assert me.json["id"] == owner.me()["id"]  # handed on for another token's hash: not taken

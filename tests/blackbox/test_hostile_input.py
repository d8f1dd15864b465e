"""No 500 for any input, through real gunicorn on both databases: each answers a problem+json 400, 413 or 422."""
import http.client
import json

import pytest

from ..server import Client

pytestmark = pytest.mark.blackbox

DEEP = 100_000


@pytest.fixture(scope="module")
def ctx(server):
    token = server.user("hostile")
    c = Client(server.url, token)
    pid = c.post("/projects", {"name": "hostile"}).json()["id"]
    return {"c": c, "pid": pid, "token": token, "server": server}


def raw(ctx, method, path, body, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", ctx["server"].port, timeout=60)
    h = {"Authorization": f"Bearer {ctx['token']}", "Content-Type": "application/json", **(headers or {})}
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    status, ctype, data = r.status, r.getheader("Content-Type"), r.read()
    conn.close()
    return status, ctype, data


def expect_problem(status, ctype, data, want, field=None):
    assert status == want, (status, data[:300])
    assert ctype == "application/problem+json"
    body = json.loads(data)
    assert body["status"] == want
    if field:
        assert field in body.get("errors", {}), body
    return body


@pytest.mark.parametrize("body", [b"[" * DEEP + b"]" * DEEP, b'{"name": ' + b"[" * DEEP + b"]" * DEEP + b"}",
                                  b'{"a":' * DEEP + b"1" + b"}" * DEEP])
def test_deeply_nested_json_is_400(ctx, body):
    expect_problem(*raw(ctx, "POST", "/projects", body), 400)


@pytest.mark.parametrize("text", ["\\ud800", "a\\udfffb", "\\u0000", "x\\u0000y"])
def test_unpaired_surrogates_and_nul_in_body_strings_are_422_naming_the_field(ctx, text):
    body = ('{"name": "ok", "description": "' + text + '"}').encode()
    expect_problem(*raw(ctx, "POST", "/projects", body), 422, "description")
    nested = ('{"first_name": "A", "last_name": "B", "tags": ["' + text + '"]}').encode()
    status, ctype, data = raw(ctx, "POST", f"/projects/{ctx['pid']}/customers", nested)
    assert status == 422 and ctype == "application/problem+json"


def test_nul_in_a_json_key_is_422(ctx):
    expect_problem(*raw(ctx, "POST", "/projects", b'{"name": "ok", "x\\u0000": 1}'), 422)


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
def test_timestamps_that_overflow_in_utc_are_422_or_400(ctx, stamp):
    event = {"title": "t", "capacity": 1, "starts_at": stamp, "ends_at": "2031-01-01T00:00:00Z"}
    expect_problem(*raw(ctx, "POST", f"/projects/{ctx['pid']}/events", json.dumps(event).encode()), 422, "starts_at")
    status, ctype, data = raw(ctx, "GET", f"/projects/{ctx['pid']}/events?from={stamp.replace('+', '%2B')}", None)
    expect_problem(status, ctype, data, 400)


@pytest.mark.parametrize("path", ["/tasks/%00", "/tasks/a%00b", "/projects/{pid}/customers?q=%00",
                                  "/projects/{pid}/customers?q=a%00", "/projects/{pid}/tasks?after=%00",
                                  "/changes?project=%00", "/changes?since=now&project=x%00",
                                  "/projects/%00/members/%00", "/events/%00/bookings"])
def test_nul_in_a_path_or_query_is_400(ctx, path):
    expect_problem(*raw(ctx, "GET", path.format(pid=ctx["pid"]), None), 400)


def test_nul_in_a_write_path_is_400(ctx):
    expect_problem(*raw(ctx, "PATCH", "/tasks/%00", b'{"title": "x"}', {"If-Match": "*"}), 400)


def test_a_chunked_body_over_the_limit_is_413(ctx):
    conn = http.client.HTTPConnection("127.0.0.1", ctx["server"].port, timeout=60)
    conn.putrequest("POST", "/projects")
    conn.putheader("Authorization", f"Bearer {ctx['token']}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    try:
        for i in range(0, len(chunk), 65536):
            part = chunk[i:i + 65536]
            conn.send(b"%x\r\n%s\r\n" % (len(part), part))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before reading it all
    r = conn.getresponse()
    expect_problem(r.status, r.getheader("Content-Type"), r.read(), 413)


def test_a_chunked_body_within_the_limit_is_accepted(ctx):
    conn = http.client.HTTPConnection("127.0.0.1", ctx["server"].port, timeout=60)
    body = b'{"name": "chunked"}'
    conn.request("POST", "/projects", body=iter([body[:5], body[5:]]),
                 headers={"Authorization": f"Bearer {ctx['token']}", "Content-Type": "application/json"},
                 encode_chunked=True)
    r = conn.getresponse()
    assert r.status == 201, r.read()

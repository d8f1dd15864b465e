"""deploy/nginx.conf in front of two gunicorn hosts on one PostgreSQL, all on loopback."""
import gzip
import http.client
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ..server import Client, Server, free_port
from ..support import fresh_database

ROOT = Path(__file__).resolve().parents[2]
MAIN = """worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    default_type application/octet-stream;
    include {prefix}/pollfeed.conf;
}}
"""
GTHREAD = ["-k", "gthread", "--threads", "4"]  # keep-alive from nginx stays open with gthread workers


@pytest.fixture
def deployment(tmp_path):
    url = fresh_database(os.environ["TEST_DATABASE_URL"])
    env = {"POLL_INTERVAL_VISIBLE": "1", "POLL_INTERVAL_HIDDEN": "5"}
    with Server(url, workers=2, env=env, extra_args=GTHREAD) as a, Server(url, workers=2, env=env,
                                                                         extra_args=GTHREAD) as b:
        port = free_port()
        conf = (ROOT / "deploy/nginx.conf").read_text()
        conf = conf.replace("127.0.0.1:8001", f"127.0.0.1:{a.port}").replace("127.0.0.1:8002", f"127.0.0.1:{b.port}")
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
        (tmp_path / "pollfeed.conf").write_text(conf)
        (tmp_path / "nginx.conf").write_text(MAIN.format(prefix=tmp_path))
        nginx = ["nginx", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
        subprocess.run([*nginx, "-t"], check=True, capture_output=True)
        subprocess.run(nginx, check=True)
        try:
            front = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 10
            while True:
                try:
                    if Client(front).get("/healthz").status == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
                time.sleep(0.1)
            yield a, b, front
        finally:
            subprocess.run([*nginx, "-s", "quit"], check=False)
            time.sleep(0.5)


def raw(url, method, path, headers=None, body=None):
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def test_a_change_written_through_one_host_is_followed_gap_free_through_the_other(deployment):
    a, b, _front = deployment
    token, _writer, pid, todo = a.board("two-hosts")
    cursor = Client(b.url, token).get(f"/projects/{pid}/tasks").json()["cursor"]

    def writer(n):
        w = Client(a.url, token)
        for i in range(50):
            assert w.post(f"/projects/{pid}/tasks", {"title": f"h{n}-{i}", "status_id": todo}).status == 201

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    follower, seen = Client(b.url, token), []
    deadline = time.monotonic() + 60
    while len(seen) < 200 and time.monotonic() < deadline:
        page = follower.get(f"/changes?since={cursor}&project={pid}").json()
        seen += page["changes"]
        cursor = page["next"]
        if not page["has_more"]:
            time.sleep(0.05)
    for t in threads:
        t.join()
    assert len(seen) == 200 and len({c["id"] for c in seen}) == 200
    positions = [int(c["cursor"].split(".")[1], 36) for c in seen]
    assert positions == sorted(positions)


def test_through_nginx_gzip_keeps_304s_and_writes_and_the_limits_hold(deployment):
    a, _b, front = deployment
    token, c, pid, todo = a.board("gzip")
    auth = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    task = c.post(f"/projects/{pid}/tasks", {"title": "big", "status_id": todo, "description": "x" * 2000}).json()
    for _ in range(5):
        c.post(f"/projects/{pid}/tasks", {"title": "more", "status_id": todo})

    status, headers, body = raw(front, "GET", f"/projects/{pid}/tasks", auth)
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert len(gzip.decompress(body)) > len(body)
    tag = headers["etag"]
    assert tag.startswith("W/")  # nginx weakened it as it compressed
    assert headers["cache-control"] == "private, no-cache" and "Authorization" in headers["vary"]
    assert len(headers["x-request-id"]) == 32  # nginx's $request_id, echoed by the app
    status, headers, _ = raw(front, "GET", f"/projects/{pid}/tasks", {**auth, "If-None-Match": tag})
    assert status == 304 and headers["etag"].removeprefix("W/") == tag.removeprefix("W/")

    # a gzipped item's weakened tag still writes; a stale one is still refused
    status, headers, _ = raw(front, "GET", f"/tasks/{task['id']}", auth)
    assert headers.get("content-encoding") == "gzip" and headers["etag"].startswith("W/")
    patch = {**auth, "If-Match": headers["etag"], "Content-Type": "application/json"}
    assert raw(front, "PATCH", f"/tasks/{task['id']}", patch, b'{"title": "big, edited"}')[0] == 200
    assert raw(front, "PATCH", f"/tasks/{task['id']}", patch, b'{"title": "lost update"}')[0] == 412

    big = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    assert raw(front, "POST", f"/projects/{pid}/tasks", {**auth, "Content-Type": "application/json"}, big)[0] == 413


def test_the_board_page_works_through_nginx(deployment):
    from playwright.sync_api import sync_playwright

    from ..web.conftest import ARGS, CHROMIUM

    a, b, front = deployment
    token, c, pid, todo = a.board("behind-nginx")
    c.post(f"/projects/{pid}/tasks", {"title": "First card", "status_id": todo})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{front}/?project={pid}#token={token}")
            page.wait_for_selector(".card")
            page.fill(f"#status-{todo} input[name=title]", "Made in the page")
            page.press(f"#status-{todo} input[name=title]", "Enter")
            page.locator(".card", has_text="Made in the page").wait_for()
            Client(b.url, token).post(f"/projects/{pid}/tasks", {"title": "Made on host B", "status_id": todo})
            page.locator(".card", has_text="Made on host B").wait_for(timeout=20000)
            page.once("dialog", lambda d: d.accept("First card, edited"))
            page.locator(".card", has_text="First card").locator(".edit").click()
            # the card shows the edit at once, pending until the PATCH is answered
            page.locator(".card:not(.pending)", has_text="First card, edited").wait_for(timeout=20000)
            assert "Not" not in page.inner_text("#message")
            titles = [t["title"] for t in Client(b.url, token).get(f"/projects/{pid}/tasks").json()["items"]]
            assert "First card, edited" in titles and "Made in the page" in titles
        finally:
            browser.close()

"""A front end on another origin (CORS_ORIGINS): pollfeed.js in Chromium, served from a second loopback
origin, polls the API, gets 304s and reads Poll-Interval and ETag."""
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from ..server import Client, Server, free_port

pytestmark = pytest.mark.browser
STATIC = Path(__file__).resolve().parents[2] / "clients/js/src"  # the npm package's sources

PAGE = """<!doctype html><meta charset="utf-8"><title>other origin</title>
<script type="module" src="./app.js"></script>"""
APP = """import { Pollfeed } from "./pollfeed.js";
const q = new URLSearchParams(location.search);
window.seen = [];
const feed = new Pollfeed({ baseUrl: q.get("api"), token: q.get("token"), params: { project: q.get("project") },
  crossTab: false, onChanges: (changes) => window.seen.push(...changes.map((c) => c.id)),
  onError: (err) => { window.failed = String(err); } });
const list = await feed.fetchJSON(`/projects/${q.get("project")}/tasks`);
window.again = await feed.fetchJSON(`/projects/${q.get("project")}/tasks`);  // revalidated: a 304, the same body
window.listed = list.items.length;
feed.setCursor(list.cursor);
window.feed = feed;
feed.start();
"""


@pytest.fixture
def other_origin(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(PAGE)
    (root / "app.js").write_text(APP)
    shutil.copy(STATIC / "pollfeed.js", root / "pollfeed.js")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_pollfeed_js_from_another_origin_polls_gets_304s_and_reads_the_advice(tmp_path, other_origin, browser):
    env = {"CORS_ORIGINS": other_origin, "POLL_INTERVAL_VISIBLE": "1", "POLL_INTERVAL_HIDDEN": "9"}
    with Server(f"sqlite:///{tmp_path}/cors.db", workers=2, env=env) as api:
        token = api.user("frontend")
        c = Client(api.url, token)
        pid = c.post("/projects", {"name": "cross"}).json()["id"]
        todo = c.post(f"/projects/{pid}/statuses", {"name": "Todo"}).json()["id"]
        page = browser.new_context().new_page()
        page.goto(f"{other_origin}/index.html?api={api.url}&token={token}&project={pid}")
        page.wait_for_function("() => window.feed && window.feed.stats.notModified >= 2", timeout=15000)
        assert page.evaluate("() => window.feed.interval") == {"visible": 1, "hidden": 9}  # Poll-Interval read
        assert page.evaluate("() => window.again.items.length") == page.evaluate("() => window.listed")
        task = c.post(f"/projects/{pid}/tasks", {"title": "from the API", "status_id": todo}).json()
        page.wait_for_function(f"() => window.seen.includes('{task['id']}')", timeout=20000)
        assert page.evaluate("() => window.failed || null") is None

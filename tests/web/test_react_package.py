"""The npm package as a React team gets it: `npm pack` makes the tarball, a React app (real react and
react-dom from npm, tests/web/package-lock.json) installs it with `npm install --no-save`, esbuild
bundles the app, and it runs in Chromium against real gunicorn, served from another loopback origin.

Two windows: an edit in one shows in the other within the interval. A conflicting edit shows the
conflict, with the server's body. Offline: edits queued in IndexedDB, the page closed, back online
and opened again: the queue replays, each edit lands once, and another user's concurrent edit comes
back as a conflict, not an overwrite. Components asking useFeed for the same feed share one, stopped by
the last to unmount. A TanStack update mutation meets a 412 as a ConflictError, and overwrites only with
the tag the conflict carried."""
import functools
import http.server
import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ..server import Client, Server, free_port

pytestmark = pytest.mark.browser
HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parents[1] / "clients" / "js"
ESBUILD = HERE / "node_modules" / ".bin" / "esbuild"
PAGE = '<!doctype html><meta charset="utf-8"><title>react app</title><div id="root"></div>' \
       '<script type="module" src="./app.js"></script>'


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def npm(*args, cwd):
    out = subprocess.run(["npm", *args, "--no-audit", "--no-fund"], cwd=cwd, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """`npm pack` of clients/js (its prepack writes the .d.ts files), installed into tests/web."""
    if not (PACKAGE / "node_modules").exists() or not ESBUILD.exists():
        pytest.fail("node_modules missing: scripts/test runs `npm ci` in clients/js and tests/web")
    where = tmp_path_factory.mktemp("pack")
    npm("pack", "--pack-destination", str(where), cwd=PACKAGE)
    [packed] = where.glob("pollfeed-*.tgz")
    npm("install", "--no-save", str(packed), cwd=HERE)
    return packed


def test_the_tarball_ships_sources_and_types_and_imports_on_a_server(tarball):
    listing = subprocess.run(["tar", "-tzf", str(tarball)], capture_output=True, text=True, check=True).stdout.split()
    for name in ("pollfeed.js", "react.js", "pollfeed-query.js", "offline.js"):
        assert f"package/src/{name}" in listing
        assert f"package/types/{name.replace('.js', '.d.ts')}" in listing
    assert not [n for n in listing if "/test/" in n or "node_modules" in n]
    # SSR: every entry imports in node, with no window or document, and builds a feed without starting
    script = ("const m = await import('pollfeed'); await import('pollfeed/react'); await import('pollfeed/tanstack');"
              "const o = await import('pollfeed/offline');"
              "const f = new m.Pollfeed({token: 't'}); new o.WriteQueue(f, {store: o.memoryStore()});"
              "console.log(JSON.stringify({state: f.stats.state, window: typeof window}))")
    out = subprocess.run(["node", "--input-type=module", "-e", script], cwd=HERE, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"state": "stopped", "window": "undefined"}


@pytest.fixture(scope="module")
def site(tarball, tmp_path_factory):
    root = tmp_path_factory.mktemp("react-site")
    (root / "index.html").write_text(PAGE)
    out = subprocess.run([str(ESBUILD), str(HERE / "react_app" / "app.jsx"), "--bundle", "--format=esm",
                          "--jsx=automatic", "--define:process.env.NODE_ENV=\"production\"",
                          f"--outfile={root / 'app.js'}"], cwd=HERE, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def api(site, tmp_path):
    env = {"CORS_ORIGINS": site, "POLL_INTERVAL_VISIBLE": "1", "POLL_INTERVAL_HIDDEN": "1"}
    with Server(f"sqlite:///{tmp_path}/react.db", workers=2, env=env) as server:
        token, c, pid, todo = server.board("rita")
        other = server.user("oscar")
        oscar = Client(server.url, other).get("/me").json()["id"]
        assert c.put(f"/projects/{pid}/members/{oscar}", {"role": "member"}).status == 201
        tasks = [c.post(f"/projects/{pid}/tasks", {"title": f"task {i}", "status_id": todo}).json()["id"]
                 for i in range(2)]
        yield server, token, Client(server.url, other), pid, tasks


def open_app(context, site, server, token, pid, tasks):
    page = context.new_page()
    page.goto(f"{site}/index.html?api={server.url}&token={token}&project={pid}&tasks={','.join(tasks)}")
    page.wait_for_selector(f"[data-task='{tasks[-1]}'] .title", timeout=15000)
    return page


def title(page, task):
    return page.locator(f"[data-task='{task}'] .title").inner_text()


def save(page, task, text, button=".save"):
    page.fill(f"[data-task='{task}'] .draft", text)
    page.click(f"[data-task='{task}'] {button}")


def test_an_edit_in_one_window_shows_in_the_other_and_304s_do_not_re_render(api, site, browser):
    server, token, _other, pid, (one, _two) = api
    context = browser.new_context()
    a, b = (open_app(context, site, server, token, pid, [one]) for _ in range(2))
    a.wait_for_function("() => window.feed.stats.state !== 'stopped'", timeout=15000)
    b.wait_for_function("() => window.feed.stats.state !== 'stopped'", timeout=15000)
    for _ in range(100):  # one tab polls for both (Web Locks); which one is the browser's choice
        leaders = [p for p in (a, b) if p.evaluate("() => window.feed.stats.leader")]
        if leaders:
            break
        a.wait_for_timeout(100)
    [leader] = leaders
    leader.wait_for_function("() => window.feed.stats.notModified >= 1", timeout=15000)
    renders = [p.evaluate("() => window.renders") for p in (a, b)]
    seen = leader.evaluate("() => window.feed.stats.notModified")
    leader.wait_for_function(f"() => window.feed.stats.notModified >= {seen + 2}", timeout=15000)
    assert [p.evaluate("() => window.renders") for p in (a, b)] == renders  # 304s: no render in either
    save(a, one, "edited in A")
    a.wait_for_function(f"() => document.querySelector(\"[data-task='{one}'] .title\").textContent === 'edited in A'",
                        timeout=10000)
    b.wait_for_function(f"() => document.querySelector(\"[data-task='{one}'] .title\").textContent === 'edited in A'",
                        timeout=10000)
    context.close()


def test_a_conflicting_edit_shows_the_conflict_and_overwrites_only_when_asked(api, site, browser):
    server, token, other, pid, (one, _two) = api
    context = browser.new_context()
    page = open_app(context, site, server, token, pid, [one])
    page.evaluate("() => window.feed.stop()")  # so it does not hear the other edit before saving
    assert other.edit(f"/tasks/{one}", {"title": "oscar's"}).status == 200
    save(page, one, "rita's")
    page.wait_for_selector(".conflict", timeout=10000)
    assert page.locator(".conflict .theirs").inner_text() == "oscar's"
    assert other.get(f"/tasks/{one}").json()["title"] == "oscar's"  # nothing overwritten
    page.click(".conflict .overwrite")  # the user chooses theirs to go
    page.wait_for_function("() => !document.querySelector('.conflict')", timeout=10000)
    assert other.get(f"/tasks/{one}").json()["title"] == "rita's"
    context.close()


def test_offline_edits_replay_once_each_and_a_concurrent_edit_is_a_conflict(api, site, browser):
    server, token, other, pid, (one, two) = api
    context = browser.new_context()
    page = open_app(context, site, server, token, pid, [one, two])
    since = other.get(f"/changes?project={pid}&since=now").json()["next"]
    context.set_offline(True)
    save(page, one, "offline 1", ".queue")
    page.wait_for_function("() => window.queueState.pending.length === 1", timeout=10000)
    save(page, one, "offline 2", ".queue")  # chains on the first
    save(page, two, "offline on two", ".queue")
    page.wait_for_function("() => window.queueState.pending.length === 3", timeout=10000)
    page.close()  # the tab is gone; the writes are in IndexedDB
    assert other.edit(f"/tasks/{two}", {"title": "oscar meanwhile"}).status == 200
    context.set_offline(False)
    page = open_app(context, site, server, token, pid, [one, two])
    page.wait_for_function("() => window.queueState && window.queueState.pending.length === 0"
                           " && window.queueState.conflicts.length === 1", timeout=20000)
    assert page.locator(".queued-conflict").inner_text() == f"/tasks/{two}: oscar meanwhile"
    assert other.get(f"/tasks/{one}").json()["title"] == "offline 2"
    assert other.get(f"/tasks/{two}").json()["title"] == "oscar meanwhile"  # not overwritten
    changes = other.get(f"/changes?project={pid}&since={since}&types=task").json()["changes"]
    mine = [c for c in changes if c["id"] == one]
    assert [c["op"] for c in mine] == ["update", "update"]  # each edit landed once
    context.close()


def test_components_asking_for_one_feed_share_it_and_the_last_to_unmount_stops_it(api, site, browser):
    server, token, other, pid, (one, _two) = api
    context = browser.new_context()
    page = context.new_page()
    polls = []
    page.on("request", lambda r: polls.append(time.monotonic()) if "/changes?" in r.url else None)
    page.goto(f"{site}/index.html?mode=twins&api={server.url}&token={token}&project={pid}")
    page.wait_for_selector(".twin-b")
    page.wait_for_function("() => window.feed.stats.leader", timeout=15000)
    assert page.evaluate("() => window.feedsSeen.size") == 1  # one Pollfeed for both components
    start = len(polls)
    page.wait_for_timeout(4000)
    assert len(polls) - start <= 6  # one poller at one a second (Poll-Interval), not one per component
    assert other.edit(f"/tasks/{one}", {"title": "heard by both"}).status == 200
    for twin in ("a", "b"):
        page.wait_for_selector(f".twin-{twin}:not([data-heard='0'])", timeout=15000)
    page.click(".hide-a")  # one user left: the feed goes on for the other
    heard = int(page.get_attribute(".twin-b", "data-heard"))
    assert other.edit(f"/tasks/{one}", {"title": "heard by b"}).status == 200
    page.wait_for_function(f"() => Number(document.querySelector('.twin-b').dataset.heard) > {heard}", timeout=15000)
    assert page.evaluate("() => window.feed.stats.state") != "stopped"
    page.click(".hide-b")  # the last user left: stopped
    page.wait_for_function("() => window.feed.stats.state === 'stopped'", timeout=10000)
    page.wait_for_timeout(1500)  # a poll in flight at the stop may still land
    stopped = len(polls)
    page.wait_for_timeout(3000)
    assert len(polls) == stopped
    assert page.evaluate("() => window.feedsSeen.size") == 1
    context.close()


def test_a_tanstack_update_mutation_meets_a_412_as_a_conflict_and_overwrites_only_when_asked(api, site, browser):
    server, token, other, pid, (one, _two) = api
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/index.html?mode=tanstack&api={server.url}&token={token}&project={pid}")
    page.wait_for_selector("text=tanstack ready")
    assert page.evaluate("(id) => window.tq.load(id)", one)["title"] == "task 0"
    assert other.edit(f"/tasks/{one}", {"title": "oscar's"}).status == 200
    theirs = other.get(f"/tasks/{one}")
    mine = page.evaluate("(id) => window.tq.save(id, \"rita's\")", one)
    assert mine["ok"] is False and mine["status"] == "error"  # the mutation's state: its error...
    assert mine["conflict"] is True and mine["httpStatus"] == 412  # ...is the ConflictError
    assert mine["theirs"]["title"] == "oscar's" and mine["etag"] == theirs.header("ETag")
    assert other.get(f"/tasks/{one}").json()["title"] == "oscar's"  # nothing overwritten
    again = page.evaluate("([id, etag]) => window.tq.save(id, \"rita's\", etag)", [one, mine["etag"]])
    assert again["ok"] is True and again["status"] == "success"  # overwrite: the user's choice
    assert other.get(f"/tasks/{one}").json()["title"] == "rita's"
    assert page.evaluate("(id) => window.tq.data(id).title", one) == "rita's"  # the query holds the answer
    assert page.evaluate("(id) => window.tq.etag(id)", one) == again["etag"]  # and its tag, for the next write
    context.close()

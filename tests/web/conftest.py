"""Real gunicorn and real headless Chromium (Debian's), driven by Playwright."""
import re
import shutil
import socket
import subprocess
import time

import pytest

from ..server import Client, Server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VISIBLE, HIDDEN = 1, 4


class Web:
    def __init__(self, server, log):
        self.server, self.url, self.log = server, server.url, log

    def board(self, owner_name, *members):
        """A project with Todo/Doing/Done and one task; returns (tokens, ids)."""
        tokens = {n: self.server.user(n) for n in (owner_name, *members)}
        c = Client(self.url, tokens[owner_name])
        pid = c.post("/projects", {"name": f"{owner_name}'s board"}).json()["id"]
        cols = [c.post(f"/projects/{pid}/statuses", {"name": n, "position": i}).json()["id"]
                for i, n in enumerate(["Todo", "Doing", "Done"])]
        task = c.post(f"/projects/{pid}/tasks", {"title": "First card", "status_id": cols[0]}).json()
        for name in members:
            uid = Client(self.url, tokens[name]).get("/me").json()["id"]
            c.request("PUT", f"/projects/{pid}/members/{uid}", {"role": "member"})
        return tokens, {"pid": pid, "cols": cols, "task": task["id"]}

    def polls(self, pid):
        """How many /changes requests for this project the server has logged."""
        with open(self.log) as f:
            return len(re.findall(rf"GET /changes\?[^ ]*project={pid}", f.read()))

    def open(self, context, token, pid):
        page = context.new_page()
        page.goto(f"{self.url}/?project={pid}#token={token}")
        page.wait_for_selector(".card")
        return page


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    d = tmp_path_factory.mktemp("web")
    log = d / "access.log"
    env = {"POLL_INTERVAL_VISIBLE": str(VISIBLE), "POLL_INTERVAL_HIDDEN": str(HIDDEN)}
    with Server(f"sqlite:///{d}/web.db", workers=2, env=env, log_path=log) as server:
        yield Web(server, log)


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield b
    b.close()


@pytest.fixture
def cdp_browser(playwright, tmp_path):
    """Chromium started by hand, so that a page can really be hidden (Playwright's own launch
    emulates focus for every page)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([CHROMIUM, "--headless", "--remote-debugging-address=127.0.0.1",
                             f"--remote-debugging-port={port}", f"--user-data-dir={tmp_path}/profile", *ARGS,
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                b = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}", no_defaults=True)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield b
        b.close()
    finally:
        proc.terminate()
        proc.wait(10)

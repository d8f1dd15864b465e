"""The board page's hardening: CSP and friends on the page, nosniff everywhere, and markup shown as text."""
import pytest

from ..server import Client

HOSTILE = '<img src=x onerror="window.__xss=1">'


@pytest.mark.parametrize("path", ["/", "/static/board.js", "/static/pollfeed.js", "/static/board.css", "/admin",
                                  "/static/admin.js", "/static/admin.css"])
def test_the_page_and_its_files_send_a_strict_csp(anonymous, path):
    r = anonymous.get(path)
    assert r.status_code == 200
    csp = dict(part.strip().split(" ", 1) for part in r.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    if path in ("/", "/admin"):
        assert b"<script>" not in r.data and b"<style>" not in r.data and b" style=" not in r.data


@pytest.mark.parametrize("path", ["/projects", "/changes?since=now", "/nope", "/openapi.json", "/healthz"])
def test_every_api_response_sends_nosniff(alice, path):
    assert alice.get(path).headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.browser
def test_markup_in_names_renders_as_text_and_the_csp_is_never_violated(web, browser):
    token = web.server.user("mallory")
    c = Client(web.url, token)
    pid = c.post("/projects", {"name": HOSTILE}).json()["id"]
    col = c.post(f"/projects/{pid}/statuses", {"name": HOSTILE + " col"}).json()["id"]
    c.post(f"/projects/{pid}/tasks", {"title": HOSTILE + " task", "status_id": col, "description": HOSTILE})
    context = browser.new_context()
    context.add_init_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    """)
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{web.url}/?project={pid}#token={token}")
    page.wait_for_selector(".card")
    # the whole flow: create, edit, move, delete, the badge
    page.fill(f"#status-{col} input[name=title]", HOSTILE + " typed")
    page.press(f"#status-{col} input[name=title]", "Enter")
    page.locator(".card", has_text="typed").wait_for()
    page.once("dialog", lambda d: d.accept(HOSTILE + " edited"))
    page.locator(".card", has_text="typed").locator(".edit").click()
    page.locator(".card", has_text="edited").wait_for()
    page.locator(".card", has_text="edited").locator(".delete").click()
    page.locator(".card", has_text="edited").wait_for(state="detached")
    page.click("#badge")
    page.wait_for_timeout(1500)  # a poll or two
    assert page.evaluate("window.__xss") is None
    assert page.locator("#board img, header img").count() == 0
    assert HOSTILE + " task" in page.inner_text("#board")
    assert HOSTILE + " col" in page.inner_text("#board")
    assert HOSTILE in page.inner_text("#project")
    assert page.evaluate("window.__violations") == []
    assert not [m for m in console if "Content Security Policy" in m], console
    context.close()

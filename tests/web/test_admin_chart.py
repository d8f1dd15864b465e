"""The admin chart (/admin) in Chromium: polls 200 against 304, writes and the advice, from the counters."""
import pytest

from ..server import Client
from .conftest import HIDDEN, VISIBLE

pytestmark = pytest.mark.browser


def test_the_admin_chart_draws_polls_writes_and_the_advice(web, browser):
    admin = web.server.user("chart-admin", admin=True)
    tokens, ids = web.board("chartist")
    page = browser.new_context().new_page()
    page.goto(f"{web.url}/admin?every=400#token={admin}")
    page.wait_for_function("() => document.querySelector('#advice').textContent !== '-'")
    assert page.inner_text("#advice") == f"visible {VISIBLE} s, hidden {HIDDEN} s"
    c = Client(web.url, tokens["chartist"])
    path = f"/projects/{ids['pid']}/tasks"
    etag = c.get(path).header("ETag")
    for _ in range(30):
        c.conn = None
        assert c.poll(path, etag).status == 304
    c.post(path, {"title": "charted", "status_id": ids["cols"][0]})
    for kind in ("p304", "write"):  # a bar of each, drawn from the counters' deltas
        page.wait_for_function(f"() => [...document.querySelectorAll('#chart rect.{kind}')]"
                               ".some(r => +r.getAttribute('height') > 0)")
    assert page.inner_text("#message") == ""
    # not an admin: the page says so, and draws nothing
    other = browser.new_context().new_page()
    other.goto(f"{web.url}/admin?every=400#token={tokens['chartist']}")
    other.wait_for_function("() => document.querySelector('#message').textContent.includes('admins only')")
    assert other.locator("#chart rect").count() == 0

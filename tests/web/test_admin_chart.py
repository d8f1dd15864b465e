"""The admin chart (/admin) in Chromium: requests per second by kind (304s, 200s, writes, shed) on a time
axis, with a legend, and the advised poll interval on its own axis; from the real counters, and from
scripted ones that show each part following the data."""
import json
import time

import pytest

from ..server import Client
from .conftest import HIDDEN, VISIBLE

pytestmark = pytest.mark.browser

LEGEND = ["304s", "200s", "writes", "shed", "advised, visible page", "advised, hidden page"]
WATCH_CSP = """
    window.__violations = [];
    document.addEventListener('securitypolicyviolation',
        (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def texts(page, selector):
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent)")


def watched(browser, **options):
    """A page that records CSP violations and script errors."""
    context = browser.new_context(**options)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def test_the_admin_chart_draws_polls_writes_and_the_advice(web, browser):
    admin = web.server.user("chart-admin", admin=True)
    tokens, ids = web.board("chartist")
    page = watched(browser)
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
        page.wait_for_function(f"() => [...document.querySelectorAll('#chart rect.bar.{kind}')]"
                               ".some(r => +r.getAttribute('height') > 0)")
    assert page.inner_text("#message") == ""
    assert texts(page, "#chart .legend text") == LEGEND
    assert len(texts(page, "#chart .axis.x text")) >= 3  # a minute at 400 ms a sample: a label every 10 s
    assert texts(page, "#chart .axis.y text")[0] == "0/s"
    assert texts(page, "#chart text.end") == [f"visible {VISIBLE} s", f"hidden {HIDDEN} s"]
    assert page.locator("#chart path.advice.visible").get_attribute("d").startswith("M")
    assert page.evaluate("window.__violations") == [] and page.errors == []
    # not an admin: the page says so, and draws nothing
    other = browser.new_context().new_page()
    other.goto(f"{web.url}/admin?every=400#token={tokens['chartist']}")
    other.wait_for_function("() => document.querySelector('#message').textContent.includes('admins only')")
    assert other.locator("#chart *").count() == 0


class Script:
    """/admin/stats answered from a script: each answer is 2 s after the previous one on the counters'
    clock (the page asks every 200 ms), and adds one step of the current phase's traffic."""

    T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
    PHASES = {  # counts per 2 s step, and the advice
        "quiet": ({"polls_304": 20, "polls_200": 10, "writes": 2, "shed": 0}, {"visible": 1, "hidden": 4}),
        "overload": ({"polls_304": 400, "polls_200": 100, "writes": 2, "shed": 60}, {"visible": 3, "hidden": 12}),
    }

    def __init__(self):
        self.phase, self.steps = "quiet", 0
        self.totals = {"polls_304": 0, "polls_200": 0, "writes": 0, "shed": 0, "errors_5xx": 0}

    def answer(self, route):
        counts, advice = self.PHASES[self.phase]
        for k, n in counts.items():
            self.totals[k] += n
        self.steps += 1
        body = {"at": self.T0 + 2 * self.steps, **self.totals, "advice": advice, "queue_delay_ms": 0.0}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


ADVICE = """() => ({
    ticks: Object.fromEntries([...document.querySelectorAll('#chart .advice-axis text')]
        .map(n => [n.textContent, +n.getAttribute('y')])),
    lines: Object.fromEntries([...document.querySelectorAll('#chart path.advice')]
        .map(n => [n.getAttribute('data-series'), n.getAttribute('d')])),
})"""


def now_at(line):
    """The height (SVG y) a step line of the advice ends at."""
    return float([part for part in line.split() if part.startswith("V")][-1][1:])


def clock_seconds(label):
    h, m, s = map(int, label.split(":"))
    return h * 3600 + m * 60 + s


def test_the_axes_legend_and_advice_follow_the_data(web, browser):
    page = watched(browser, timezone_id="UTC")
    script = Script()
    page.route("**/admin/stats", script.answer)
    page.goto(f"{web.url}/admin?every=200#token=scripted")  # 150 samples of 2 s: the last 30 s

    page.wait_for_function("() => document.querySelectorAll('#chart rect.bar.p304').length >= 6")
    assert texts(page, "#chart .legend text") == LEGEND
    assert [r for r in page.eval_on_selector_all("#chart .legend rect", "ns => ns.map(n => n.getAttribute('class'))")] \
        == ["key p304", "key p200", "key write", "key shed", "key advice visible", "key advice hidden"]
    # requests per second: 16/s in all, on a round scale up to 20/s
    assert texts(page, "#chart .axis.y text") == ["0/s", "5/s", "10/s", "15/s", "20/s"]
    assert page.locator("#chart rect.bar.shed[height='0']").count() == page.locator("#chart rect.bar.shed").count()
    # time: wall-clock labels of the counters' clock (UTC here), one every 5 s of the 30 s window
    before = texts(page, "#chart .axis.x text")
    seconds = [clock_seconds(t) for t in before]
    assert len(before) >= 2 and all(b - a == 5 for a, b in zip(seconds, seconds[1:], strict=False))
    assert all(s % 5 == 0 for s in seconds) and before[0].startswith("22:1")
    # the advice: 1 s and 4 s on a log axis from 1 s to 5 s, a line each at its value
    assert texts(page, "#chart .advice-axis text") == ["1 s", "2 s", "5 s"]
    assert texts(page, "#chart text.end") == ["visible 1 s", "hidden 4 s"]
    quiet = page.evaluate(ADVICE)  # one drawing: the page redraws between calls
    assert now_at(quiet["lines"]["advice-visible"]) == pytest.approx(quiet["ticks"]["1 s"], abs=0.1)
    assert quiet["ticks"]["2 s"] > now_at(quiet["lines"]["advice-hidden"]) > quiet["ticks"]["5 s"]

    script.phase = "overload"  # 281 requests/s, 30 of them shed, and the advice tripled
    page.wait_for_function("() => [...document.querySelectorAll('#chart text.end')].map(n => n.textContent)"
                           ".join() === 'visible 3 s,hidden 12 s'")
    page.wait_for_function("() => [...document.querySelectorAll('#chart .axis.y text')].map(n => n.textContent)"
                           ".join() === '0/s,100/s,200/s,300/s'")
    assert page.locator("#chart rect.bar.shed:not([height='0'])").count() > 0
    loud = page.evaluate(ADVICE)
    assert list(loud["ticks"])[-1] == "20 s"  # the axis reaches up past the hidden page's 12 s
    assert loud["ticks"]["2 s"] > now_at(loud["lines"]["advice-visible"]) > loud["ticks"]["5 s"]
    assert loud["ticks"]["10 s"] > now_at(loud["lines"]["advice-hidden"]) > loud["ticks"]["20 s"]
    assert loud["lines"] != quiet["lines"]
    # and the clock moved on: the window's labels are later ones
    deadline = time.monotonic() + 60
    while texts(page, "#chart .axis.x text")[0] == before[0]:
        assert time.monotonic() < deadline, before
        page.wait_for_timeout(200)
    assert clock_seconds(texts(page, "#chart .axis.x text")[0]) > clock_seconds(before[0])
    assert page.inner_text("#advice") == "visible 3 s, hidden 12 s"
    assert page.evaluate("window.__violations") == [] and page.errors == []

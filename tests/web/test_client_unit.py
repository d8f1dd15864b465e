"""pollfeed.js unit tests, run inside Chromium with a fake fetch (no server involved beyond serving the file)."""
import pytest

pytestmark = pytest.mark.browser

HARNESS = """
async () => {
  const m = await import('/static/pollfeed.js');
  const out = {};
  out.interval = m.parsePollInterval('visible=5, hidden=60');
  out.intervalJunk = m.parsePollInterval('visible=x, hidden=0, other');
  out.retrySeconds = m.retryAfterMs('3');
  out.retryDate = m.retryAfterMs(new Date(Date.now() + 10000).toUTCString()) > 8000;
  out.retryNone = m.retryAfterMs(null);

  // a fetch we control: each call returns a promise we resolve by hand
  const calls = [];
  const fake = (url, init) => new Promise((resolve) => calls.push({url, init, resolve}));
  const resp = (status, body, headers = {}) => ({
    status, ok: status < 300, headers: new Headers(headers), json: async () => body});
  const win = {document: {visibilityState: 'visible', addEventListener() {}, removeEventListener() {}},
               addEventListener() {}, removeEventListener() {}, navigator: {}};
  const seen = [];
  let resynced = 0;
  const feed = new m.Pollfeed({token: 't', cursor: 'c1', fetch: fake, window: win, crossTab: false,
    onChanges: (ch) => seen.push(...ch), onResync: async () => { resynced++; return 'relisted'; },
    random: () => 0.5});
  const byType = [];
  const off = feed.subscribe('task', (c) => byType.push(c.id));
  feed.start();
  feed.pollNow(); feed.pollNow();  // already in flight: no second request
  out.inFlightCalls = calls.length;
  out.firstUrl = calls[0].url;
  out.auth = calls[0].init.headers.Authorization;
  calls[0].resolve(resp(200, {changes: [{type: 'task', id: 'a'}], next: 'c2', has_more: false},
                        {'ETag': '"f1"', 'Poll-Interval': 'visible=7, hidden=0'}));
  await new Promise((r) => setTimeout(r, 20));
  out.secondAfterAgain = calls.length;           // the queued pollNow ran at once
  out.seen = seen.map((c) => c.id);
  out.byType = byType.slice();
  out.visibleInterval = feed.interval.visible;
  out.cursor = feed.cursor;
  out.ifNoneMatch = calls[1].init.headers['If-None-Match'];
  out.secondUrl = calls[1].url;
  calls[1].resolve(resp(410, {status: 410}));
  await new Promise((r) => setTimeout(r, 20));
  out.resynced = resynced;
  out.cursorAfter410 = feed.cursor;
  out.thirdUrl = calls[2] && calls[2].url;
  calls[2].resolve(resp(503, {}, {'Retry-After': '3'}));
  await new Promise((r) => setTimeout(r, 20));
  out.noPollBeforeRetryAfter = calls.length;     // still 3: waiting 3 s
  feed.pollNow();                                 // an explicit poll is still allowed
  calls[3].resolve(resp(500, {}));
  await new Promise((r) => setTimeout(r, 20));
  out.failures = feed.failures;
  out.backoff = feed._backoff();                  // full jitter: random * min(cap, 1s * 2^failures)
  off();
  // hidden with hidden=0: polling stops
  win.document.visibilityState = 'hidden';
  feed.interval.hidden = 0;
  feed._schedule();
  out.pausedTimer = feed.timer;
  out.state = feed.stats.state;
  feed.stop();
  return out;
}
"""


def test_pollfeed_unit(web, browser):
    page = browser.new_context().new_page()
    page.goto(f"{web.url}/healthz")
    r = page.evaluate(HARNESS)
    assert r["interval"] == {"visible": 5, "hidden": 60}
    assert r["intervalJunk"] == {"hidden": 0}
    assert r["retrySeconds"] == 3000 and r["retryDate"] is True and r["retryNone"] is None
    assert r["inFlightCalls"] == 1
    assert "since=c1" in r["firstUrl"] and r["auth"] == "Bearer t"
    assert r["secondAfterAgain"] == 2
    assert r["seen"] == ["a"] and r["byType"] == ["a"]
    assert r["visibleInterval"] == 7 and r["cursor"] == "c2"
    assert r["ifNoneMatch"] == '"f1"' and "since=c2" in r["secondUrl"]
    assert r["resynced"] == 1 and r["cursorAfter410"] == "relisted" and "since=relisted" in r["thirdUrl"]
    assert r["noPollBeforeRetryAfter"] == 3
    assert r["failures"] == 2 and r["backoff"] == 2000  # 0.5 * min(60 s, 1 s * 2^2)
    assert r["pausedTimer"] is None and r["state"] == "paused"

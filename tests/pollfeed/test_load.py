"""The load signal and the advice it gives (pollfeed/load.py), on real sockets and with a real clock's numbers."""
import socket

import pytest

from pollfeed.load import Gate, Load

CONFIG = {"POLLFEED_POLL_INTERVAL_VISIBLE": 5, "POLLFEED_POLL_INTERVAL_HIDDEN": 60, "POLLFEED_POLL_INTERVAL_MAX": 300,
          "POLLFEED_OVERLOAD_DELAY": 0.05, "POLLFEED_SHED_DELAY": 0.25, "POLLFEED_LOAD_SMOOTHING": 1.0}


def test_the_accept_queue_is_read_from_the_listening_socket():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    load = Load(CONFIG, workers=1)
    load.sockets = [listener]
    clients = []
    try:
        assert load.queue() == 0
        for _ in range(7):
            c = socket.create_connection(listener.getsockname())
            clients.append(c)
        assert load.queue() == 7  # connected, not yet accepted
        listener.accept()[0].close()
        assert load.queue() == 6
    finally:
        for c in clients:
            c.close()
        listener.close()


def test_a_threaded_workers_own_queue_counts_at_the_pace_its_pool_drains():
    load = Load(CONFIG, workers=4)  # one gthread worker, 4 threads
    waiting = [0]
    load.watch_pool(lambda: waiting[0])
    assert load.waiting() == 0
    t = load.done_at
    for _ in range(200):  # busy: a completion every 2 ms, each request 8 ms long (4 threads share a GIL)
        t += 0.002
        load.served(0.008, t)
    assert load.gap == pytest.approx(0.002, rel=0.01)
    waiting[0] = 30
    assert load.update(0, now=load.at + 0.1, pending=load.waiting()) == pytest.approx(30 * 0.002, rel=0.01)
    load.served(0.001, t + 60)  # a minute idle: a gap counts at most the request's own time
    assert load.gap < 0.0025


def test_unloaded_the_advice_is_the_configured_one():
    load = Load(CONFIG, workers=2)
    load.update(0, now=load.at + 10)
    assert load.intervals() == (5, 60)
    assert load.poll_interval() == "visible=5, hidden=60"
    assert not load.shed(0.0)


def test_the_advice_grows_smoothly_with_the_queue_is_capped_and_shrinks_when_it_drains():
    load = Load(CONFIG, workers=2)
    load.service = 0.01
    t, seen = load.at, []
    for _ in range(20):  # a queue of 40: 0.2 s of delay, every 100 ms for 2 s
        t += 0.1
        assert load.update(40, now=t) == pytest.approx(0.2)
        seen.append(load.intervals()[0])
    assert seen == sorted(seen) and seen[0] < seen[-1]  # rising, step by step
    assert seen[0] == 5 and seen[-1] >= 15  # 5 x (1 + (0.2 - 0.05) / 0.05) = 20 in the limit
    assert load.intervals()[1] <= CONFIG["POLLFEED_POLL_INTERVAL_MAX"]
    load.update(10_000, now=t + 30)
    assert load.intervals() == (300, 300)  # capped
    load.update(0, now=t + 40)  # drained: ten smoothing periods later, back where it was
    assert load.intervals() == (5, 60)


def test_hidden_zero_stays_zero_and_shedding_starts_beyond_the_shed_delay():
    load = Load({**CONFIG, "POLLFEED_POLL_INTERVAL_HIDDEN": 0}, workers=1)
    load.service = 0.01
    load.update(100, now=load.at + 5)
    assert load.intervals()[1] == 0
    assert load.shed(0.26) and not load.shed(0.24)
    assert not Load({**CONFIG, "POLLFEED_SHED_DELAY": 0}).shed(100)  # 0 turns shedding off


def test_the_gate_sheds_only_api_reads_with_retry_after():
    load = Load(CONFIG, workers=1)
    load.queue = lambda: 1000  # as if a thousand connections waited
    load.service = 0.01
    served = []

    def app(environ, start_response):
        served.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"ok"]

    gate = Gate(app, load, b'{"type": "overloaded"}', never_shed=("/healthz", "/readyz", "/metrics", "/admin"))

    def call(method, path):
        got = {}
        body = gate({"REQUEST_METHOD": method, "PATH_INFO": path},
                    lambda status, headers: got.update(status=status, headers=dict(headers)))
        return got["status"], got["headers"], b"".join(body)

    status, headers, body = call("GET", "/projects/p1/tasks")
    assert status.startswith("503") and int(headers["Retry-After"]) >= 5 and b"overloaded" in body
    assert headers["Poll-Interval"].startswith("visible=")
    for method, path in (("POST", "/projects/p1/tasks"), ("GET", "/healthz"), ("GET", "/readyz"),
                         ("GET", "/metrics"), ("GET", "/"), ("GET", "/static/pollfeed.js"), ("GET", "/admin/stats")):
        assert call(method, path)[0] == "200 OK", (method, path)
    assert served.count("/projects/p1/tasks") == 1  # the POST; the GET never reached the app
    # what the host did not name is API: the engine itself knows no health check or admin page
    assert Gate(app, load, b"{}")({"REQUEST_METHOD": "GET", "PATH_INFO": "/admin/stats"},
                                  lambda status, headers: served.append(status))[0] == b"{}"

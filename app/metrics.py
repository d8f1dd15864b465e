"""What the fleet is doing: Prometheus metrics, request ids, and the numbers behind the admin chart.

- Counters and the latency histogram come from prometheus_client. Under gunicorn they are kept in
  multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set up by gunicorn.conf.py), so a scrape of any worker
  sums every worker of the host. Without it (flask run, tests) they live in the process.
- `Observe` is the outermost WSGI middleware: it times every request, the poll path's 304s and the
  shed 503s included, counts it by route template, method and status, and gives it a request id (a
  proxy's X-Request-Id if well-formed, else a new one), echoed as X-Request-Id and written to the
  access log.
- A request's count and latency go first to a `Tally` of the process (plain integers under a lock),
  which is written into prometheus_client's values at most FLUSH_SECONDS later: by a background thread
  of the process, before any scrape this process answers, and at exit. Three multiprocess value
  writes per request cost about as much as the rest of a remembered 304 (docs/benchmarks.md); a
  scrape every few seconds cannot tell a second's delay.
- GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; with METRICS_TOKEN unset it is 404.
  The feed's head, horizon and retained changes are read from the database at scrape time.
- GET /admin/stats (an admin's token) sums the same counters as JSON for the chart at /admin.
"""
import atexit
import bisect
import hmac
import itertools
import os
import re
import threading
import time
import weakref

from flask import Blueprint, abort, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import select

from pollfeed import polling

from .extensions import db

REQUESTS = Counter("pollfeed_requests_total", "HTTP requests answered, by route template, method and status.",
                   ["route", "method", "status"])
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
LATENCY = Histogram("pollfeed_request_duration_seconds", "Time a worker took to answer (its queue excluded).",
                    ["route"], buckets=BUCKETS)
SHED = Counter("pollfeed_shed_total", "Polls refused with 503 overloaded (see POLL_INTERVAL_MAX, SHED_DELAY).")
DATABASE_ERRORS = Counter("pollfeed_database_errors_total", "Requests answered 503 or 500 for a database error.",
                          ["kind"])
ADVICE = Gauge("pollfeed_poll_interval_seconds", "The poll interval advised now, for a visible or hidden page.",
               ["page"], multiprocess_mode="mostrecent")

#: The longest a request's count and latency wait in the process's Tally before /metrics can see them.
FLUSH_SECONDS = 1.0
_BOUNDS = (*map(float, BUCKETS), float("inf"))  # as the histogram's buckets, +Inf last


class Tally:
    """This process's counts and latencies not yet in prometheus_client's values (see the docstring)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}  # (route, method, status) -> requests
        self.latency = {}  # route -> [sum of seconds, then requests per bucket, +Inf last]
        _TALLIES.add(self)
        _start_flusher()

    def add(self, route, method, status, seconds):
        key = (route, method, status)
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            buckets = self.latency.get(route)
            if buckets is None:
                buckets = self.latency[route] = [0.0] + [0] * len(_BOUNDS)
            buckets[0] += seconds
            buckets[bisect.bisect_left(_BOUNDS, seconds) + 1] += 1  # the first bucket with le >= seconds

    def flush(self):
        """Write what was tallied into the metrics, and start again from zero."""
        with self.lock:
            counts, latency = self.counts, self.latency
            if not counts:
                return
            self.counts, self.latency = {}, {}
        for labels, n in counts.items():
            REQUESTS.labels(*labels).inc(n)
        for route, buckets in latency.items():
            # prometheus_client has no observe-n-times: its histogram child keeps a sum and a per-bucket
            # count, which observe() increments (pinned version; tests/test_metrics.py compares the two).
            child = LATENCY.labels(route)
            child._sum.inc(buckets[0])
            for value, n in zip(child._buckets, buckets[1:], strict=True):
                if n:
                    value.inc(n)


_TALLIES = weakref.WeakSet()
_FLUSHER = {"pid": None}
_FLUSHER_LOCK = threading.Lock()


def flush():
    """Every tally of this process into the metrics (before a scrape, at exit, each FLUSH_SECONDS)."""
    for tally in list(_TALLIES):
        tally.flush()


def _flush_forever():
    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            flush()
        except Exception:  # a metrics hiccup must not end the thread
            import logging

            logging.getLogger("pollfeed.metrics").exception("flushing metrics failed")


def _start_flusher():
    """One daemon thread per process."""
    with _FLUSHER_LOCK:
        if _FLUSHER["pid"] != os.getpid():
            _FLUSHER["pid"] = os.getpid()
            threading.Thread(target=_flush_forever, name="pollfeed-metrics", daemon=True).start()


def _after_fork():
    """A process forked with tallies (gunicorn --preload makes the app before forking its workers)
    inherits no thread: it starts its own flusher. What the parent tallied is the parent's to write,
    and a lock the parent's threads held at the fork would never be released here: both start anew."""
    global _FLUSHER_LOCK
    _FLUSHER_LOCK = threading.Lock()
    for tally in list(_TALLIES):
        tally.lock, tally.counts, tally.latency = threading.Lock(), {}, {}
    if _TALLIES:
        _start_flusher()


atexit.register(flush)
os.register_at_fork(after_in_child=_after_fork)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


class Observe:
    """WSGI middleware, outermost: request id, timing and counting (see the module docstring)."""

    def __init__(self, wsgi_app, load):
        self.app, self.load = wsgi_app, load
        self.advised = None
        self.tally = Tally()
        # Request ids: 8 random hex digits per process, then a counter: unique across workers and hosts
        # (as far as 32 random bits go), and no system call per request.
        self.prefix = os.urandom(4).hex()
        self.numbers = itertools.count()

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        rid = environ.get("HTTP_X_REQUEST_ID")
        if rid is None or not _REQUEST_ID.match(rid):
            rid = f"{self.prefix}{next(self.numbers) & 0xFFFFFFFF:08x}"
        environ["pollfeed.request_id"] = rid
        status = ["500"]

        def respond(line, headers, exc_info=None):
            status[0] = line[:3]
            headers.append(("X-Request-Id", rid))
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, respond)
        finally:
            route = environ.get("pollfeed.route") or "(unmatched)"
            method = environ.get("REQUEST_METHOD", "")
            self.tally.add(route, method if method in _METHODS else "OTHER", status[0], time.perf_counter() - start)
            if route == "(shed)":
                SHED.inc()
            advised = self.load.intervals()
            if advised != self.advised:
                self.advised = advised
                ADVICE.labels("visible").set(advised[0])
                ADVICE.labels("hidden").set(advised[1])


def database_error(kind):
    DATABASE_ERRORS.labels(kind).inc()


def _registry():
    flush()  # this process's tally; every other process flushes its own within FLUSH_SECONDS
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


class _Feed:
    """The feed's head, horizon and retained changes (positions are dense: head - horizon), read now."""

    def collect(self):
        from pollfeed import FeedState

        head, horizon = db.session.execute(select(FeedState.head, FeedState.horizon)).one()
        for name, text, value in (("pollfeed_feed_head", "Position of the newest change.", head),
                                  ("pollfeed_feed_horizon", "Changes at or below it are compacted away.", horizon),
                                  ("pollfeed_feed_retained_changes", "Changes kept in the log.", head - horizon)):
            yield GaugeMetricFamily(name, text, value=value)


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        from pollfeed import Unauthorized

        raise Unauthorized("/metrics needs Authorization: Bearer <METRICS_TOKEN>.")
    feed = CollectorRegistry(auto_describe=False)
    feed.register(_Feed())
    body = generate_latest(_registry()) + generate_latest(feed)
    return current_app.response_class(body, mimetype=None, headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                                     "Cache-Control": "no-store"})


def totals():
    """Sums over every worker of the same counters /metrics serves, for the admin chart."""
    out = {"polls_200": 0, "polls_304": 0, "writes": 0, "shed": 0, "errors_5xx": 0}
    for family in _registry().collect():
        for sample in family.samples:
            if sample.name == "pollfeed_requests_total":
                method, status = sample.labels["method"], sample.labels["status"]
                if method in ("GET", "HEAD") and status == "200":
                    out["polls_200"] += sample.value
                elif method in ("GET", "HEAD") and status == "304":
                    out["polls_304"] += sample.value
                elif method in ("POST", "PUT", "PATCH", "DELETE") and status.startswith("2"):
                    out["writes"] += sample.value
                if status.startswith("5") and sample.labels["route"] != "(shed)":
                    out["errors_5xx"] += sample.value
            elif sample.name == "pollfeed_shed_total":
                out["shed"] += sample.value
    return {k: int(v) for k, v in out.items()}


admin = Blueprint("admin", __name__)


@admin.get("/admin/stats")
def admin_stats():
    """Counter totals and the current advice, for the chart at /admin (admins only)."""
    if not g.principal.is_admin:
        abort(404)
    load = polling.load_signal()
    visible, hidden = load.intervals()
    return jsonify(at=time.time(), **totals(), advice={"visible": visible, "hidden": hidden},
                   queue_delay_ms=round(load.smoothed * 1000, 1))


def init_app(app):
    from pollfeed import authenticate

    @app.before_request
    def name_the_route():
        rule = request.url_rule
        request.environ["pollfeed.route"] = rule.rule if rule is not None else None

    app.register_blueprint(bp)
    app.register_blueprint(admin)
    app.before_request_funcs.setdefault(admin.name, []).append(authenticate)


def install(app):
    """Observe every request (outermost WSGI middleware)."""
    app.wsgi_app = Observe(app.wsgi_app, polling.load_signal(app))

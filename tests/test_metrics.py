"""app/metrics.py in one process: /metrics behind METRICS_TOKEN, request ids, the admin chart's numbers."""
import re
import uuid

from prometheus_client import CollectorRegistry, Histogram

from app import metrics
from app.extensions import db
from pollfeed.changelog import FeedState

from .support import problem


def sample(text, name, **labels):
    """The value of one sample in Prometheus text, or None."""
    for line in text.splitlines():
        m = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if m and dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or "")) == labels:
            return float(m.group(2))
    return None


def test_metrics_is_404_without_a_token_setting_and_401_with_a_wrong_token(app, alice, anonymous):
    app.config["METRICS_TOKEN"] = ""
    assert anonymous.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret"
    problem(anonymous.get("/metrics"), 401)
    problem(alice.get("/metrics"), 401)  # a user's token is not the metrics token
    problem(anonymous.get("/metrics", headers={"Authorization": "Bearer s3cre"}), 401)


def test_metrics_count_routes_statuses_and_read_the_feed(app, alice, anonymous, board):
    app.config["METRICS_TOKEN"] = "s3cret"
    pid = board["pid"]
    scrape = lambda: anonymous.get("/metrics", headers={"Authorization": "Bearer s3cret"}).get_data(as_text=True)  # noqa: E731
    route = "/projects/<project_id>/tasks"
    before = sample(scrape(), "pollfeed_requests_total", route=route, method="GET", status="304") or 0
    etag = alice.get(f"/projects/{pid}/tasks").headers["ETag"]
    for _ in range(3):
        assert alice.poll(f"/projects/{pid}/tasks", etag).status_code == 304  # the poll path's 304s count too
    alice.get("/nowhere")
    text = scrape()
    assert sample(text, "pollfeed_requests_total", route=route, method="GET", status="304") == before + 3
    assert sample(text, "pollfeed_requests_total", route="(unmatched)", method="GET", status="404") >= 1
    assert sample(text, "pollfeed_request_duration_seconds_count", route=route) >= 4
    with app.app_context():
        head, horizon = db.session.execute(db.select(FeedState.head, FeedState.horizon)).one()
    assert sample(text, "pollfeed_feed_head") == head and sample(text, "pollfeed_feed_horizon") == horizon
    assert sample(text, "pollfeed_feed_retained_changes") == head - horizon
    visible = app.config["POLLFEED_POLL_INTERVAL_VISIBLE"]
    assert sample(text, "pollfeed_poll_interval_seconds", page="visible") == visible
    assert sample(text, "pollfeed_shed_total") is not None
    assert "pollfeed_database_errors_total" in text


def test_every_answer_carries_a_request_id_a_proxys_when_well_formed(alice, anonymous, board):
    made = alice.get("/me").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", made)
    assert alice.get("/me").headers["X-Request-Id"] != made
    assert alice.get("/me", headers={"X-Request-Id": "edge-42.a"}).headers["X-Request-Id"] == "edge-42.a"
    bad = alice.get("/me", headers={"X-Request-Id": "no spaces\tor tabs"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", bad)
    etag = alice.get(f"/projects/{board['pid']}/tasks").headers["ETag"]
    assert alice.poll(f"/projects/{board['pid']}/tasks", etag).headers["X-Request-Id"]  # the poll path's too
    assert anonymous.get("/healthz").headers["X-Request-Id"]


def test_admin_stats_sum_the_same_counters_for_admins_only(alice, admin, anonymous, board):
    first = admin.get("/admin/stats")
    assert first.status_code == 200
    etag = alice.get(f"/projects/{board['pid']}/tasks").headers["ETag"]
    alice.poll(f"/projects/{board['pid']}/tasks", etag)
    alice.created(f"/projects/{board['pid']}/statuses", {"name": "Later"})
    after = admin.get("/admin/stats").json
    assert after["polls_304"] == first.json["polls_304"] + 1
    assert after["writes"] == first.json["writes"] + 1
    assert after["advice"] == {"visible": 5, "hidden": 60}
    problem(alice.get("/admin/stats"), 404)  # not an admin
    problem(anonymous.get("/admin/stats"), 401)


def test_a_tally_writes_the_same_counts_and_histogram_as_observing_each_request():
    route = f"/tally-{uuid.uuid4().hex}"
    seconds = [0.0001, 0.0005, 0.0007, 0.001, 0.03, 0.03, 2.5, 7.0]  # on bounds, between them, beyond the last
    direct = Histogram("direct_seconds", "x", ["route"], buckets=metrics.BUCKETS, registry=CollectorRegistry())
    tally = metrics.Tally()
    for s in seconds:
        tally.add(route, "GET", "304", s)
        direct.labels(route).observe(s)
    count = lambda: metrics.REQUESTS.labels(route, "GET", "304")._value.get()  # noqa: E731
    assert count() == 0  # tallied, not yet written
    tally.flush()
    assert count() == len(seconds)
    written = {(s.name.removeprefix("pollfeed_request_duration"), s.labels.get("le")): s.value
               for s in metrics.LATENCY.collect()[0].samples if s.labels.get("route") == route}
    expected = {(s.name.removeprefix("direct"), s.labels.get("le")): s.value
                for s in direct.collect()[0].samples if not s.name.endswith("_created")}
    written = {k: v for k, v in written.items() if not k[0].endswith("_created")}
    assert written == expected and written[("_seconds_bucket", "0.0005")] == 2
    tally.flush()  # nothing new: nothing more
    assert count() == len(seconds)


def test_a_process_forked_with_a_tally_writes_its_own_counts(tmp_path):
    """gunicorn --preload makes the app, and its tally, before forking the workers: each worker starts
    its own flusher, and writes only what it counted."""
    import os
    import time

    route = f"/forked-{uuid.uuid4().hex}"
    tally = metrics.Tally()
    tally.add(route, "GET", "200", 0.001)  # the parent's, not the child's to write
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: count, wait for its flusher, report what the metric holds
        try:
            tally.add(route, "GET", "304", 0.001)
            deadline = time.monotonic() + 20 * metrics.FLUSH_SECONDS + 10  # later on a busy machine
            while not metrics.REQUESTS.labels(route, "GET", "304")._value.get() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(metrics.FLUSH_SECONDS * 2)  # and a flush or two more: the parent's count must not come
            seen = (metrics.REQUESTS.labels(route, "GET", "304")._value.get(),
                    metrics.REQUESTS.labels(route, "GET", "200")._value.get())
            os.write(write, repr(seen).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 100).decode() == "(1.0, 0.0)"
    os.close(read)

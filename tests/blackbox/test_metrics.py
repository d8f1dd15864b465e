"""Metrics across gunicorn workers (prometheus_client multiprocess mode) and JSON access logs."""
import json
import time

from app.metrics import FLUSH_SECONDS

from ..server import Client, Server
from ..test_metrics import sample


def test_metrics_sum_every_worker_and_json_logs_carry_the_request_id(tmp_path):
    log = tmp_path / "access.log"
    env = {"METRICS_TOKEN": "scrape-me", "ACCESS_LOG_FORMAT": "json"}
    with Server(f"sqlite:///{tmp_path}/m.db", workers=4, env=env, log_path=log) as server:
        token = server.user("metrics")
        c = Client(server.url, token)
        pid = c.post("/projects", {"name": "m"}).json()["id"]
        etag = c.get(f"/projects/{pid}/tasks").header("ETag")
        for _ in range(40):  # each on its own connection (sync workers close it): spread over the workers
            c.conn = None
            assert c.poll(f"/projects/{pid}/tasks", etag).status == 304
        tagged = c.get(f"/projects/{pid}/customers?q=ada", headers={"X-Request-Id": "trace-7"})
        assert tagged.header("X-Request-Id") == "trace-7"

        def scrape():
            scrapes = [Client(server.url, "scrape-me").get("/metrics") for _ in range(4)]
            counts = {sample(s.body.decode(), "pollfeed_requests_total", method="GET",
                             route="/projects/<project_id>/tasks", status="304") for s in scrapes}
            return scrapes, counts

        # Each worker's background thread writes its tally within FLUSH_SECONDS (app/metrics.py), later on
        # a busy machine: scrape until the counts arrive, within a bound.
        deadline = time.monotonic() + 20 * FLUSH_SECONDS + 10
        scrapes, counts = scrape()
        while counts != {40.0} and time.monotonic() < deadline:
            time.sleep(0.25)
            scrapes, counts = scrape()
        assert all(s.status == 200 and s.header("Content-Type").startswith("text/plain") for s in scrapes)
        assert counts == {40.0}  # every scrape, whichever worker answers it, sums all four workers
        assert "pollfeed_request_duration_seconds_bucket" in scrapes[0].body.decode()
        assert Client(server.url, token).get("/metrics").status == 401

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    polls = [x for x in lines if x["status"] == 304]
    assert len(polls) == 40 and all(x["route"] == "/projects/<project_id>/tasks" for x in polls)
    assert all(len(x["request_id"]) == 16 for x in polls)
    traced = [x for x in lines if x["request_id"] == "trace-7"]
    assert len(traced) == 1 and traced[0]["query"] == "q=[redacted]" and "ada" not in json.dumps(traced[0])

"""deploy/grafana-dashboard.json queries only what the server exports at /metrics (app/metrics.py).

Every PromQL expression of the dashboard (its panels' targets and its template variables) is read for
the metric names it selects, and each must be a series name of a scrape of the real app. A histogram
is exported as <name>_bucket, _sum and _count (a query on its bare name finds nothing), a summary as
<name>, _sum and _count, a counter and a gauge as their name: a name counts as exported when a sample
of the scrape carries it or its family's `# TYPE` line implies it. The in-process registry declares
every family, a labelled one with no sample yet included (database errors in a healthy test), where
gunicorn's multiprocess mode lists only the ones some worker has written.
"""
import copy
import json
import re
from pathlib import Path

import pytest

DASHBOARD = Path(__file__).resolve().parent.parent / "deploy" / "grafana-dashboard.json"

_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")  # Grafana's $var, ${var}, [[var]]
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w.:])[a-zA-Z_:][\w:]*")
#: Words of PromQL that are no metric (an aggregation or a function is known by the `(` after it).
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
             "offset", "atan2", "inf", "nan", "start", "end"}
#: The series a family of each type is exported as, from its `# TYPE` line's name.
_SERIES = {"counter": ("",), "gauge": ("",), "untyped": ("",), "unknown": ("",), "info": ("",),
           "histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count")}


def metric_names(expr):
    """The metric names a PromQL expression selects."""
    names = set()
    for matcher in re.finditer(r"__name__\s*(=~|!=|!~|=)\s*(\"[^\"]*\"|'[^']*')", expr):
        assert matcher.group(1) == "=", f"a metric chosen by pattern cannot be checked: {expr}"
        names.add(matcher.group(2)[1:-1])
    bare = _STRING.sub('""', expr)  # label values and label_replace's arguments are no names
    bare = _VARIABLE.sub("", bare)
    bare = re.sub(r"\{[^{}]*\}", "", bare)  # label matchers
    bare = re.sub(r"\[[^\[\]]*\]", "", bare)  # ranges and subqueries' durations
    bare = _LABEL_LIST.sub(" ", bare)  # label names grouped by or matched on, with their keyword
    for m in _NAME.finditer(bare):
        word = m.group()
        if word.lower() in _KEYWORDS or re.match(r"\s*\(", bare[m.end():]):
            continue
        names.add(word)
    return names


def queries(dashboard):
    """Every PromQL expression of a dashboard: each target's `expr` wherever it sits (rows nest panels),
    and what the template variables ask Prometheus."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(dashboard.get("panels", []))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable["query"]
        query = query.get("query", "") if isinstance(query, dict) else query
        call = re.fullmatch(r"\s*(label_values|query_result)\((.*)\)\s*", query, re.S)
        assert call, f"a template variable's query this test cannot read: {query}"
        args = call.group(2)
        if call.group(1) == "label_values":  # label_values([selector,] label)
            args = args.rpartition(",")[0]
        if args.strip():
            found.append(args)
    return found


def exported(text):
    """The series names a scrape in Prometheus' text format exports."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split()
            names |= {family + suffix for suffix in _SERIES[kind]}
        elif line.strip() and not line.startswith("#"):
            names.add(_NAME.match(line).group())
    return names


def missing(dashboard, text):
    """The metric names a dashboard queries that the scrape does not export."""
    queried = set().union(*map(metric_names, queries(dashboard)))
    return queried - exported(text)


@pytest.fixture
def scrape(app, alice, anonymous, board):
    app.config["METRICS_TOKEN"] = "grafana"
    etag = alice.get(f"/projects/{board['pid']}/tasks").headers["ETag"]
    alice.poll(f"/projects/{board['pid']}/tasks", etag)  # a request through the app: every family written
    response = anonymous.get("/metrics", headers={"Authorization": "Bearer grafana"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_metric_the_dashboard_queries_is_exported(scrape):
    dashboard = json.loads(DASHBOARD.read_text())
    queried = set().union(*map(metric_names, queries(dashboard)))
    assert {"pollfeed_requests_total", "pollfeed_request_duration_seconds_bucket", "pollfeed_shed_total",
            "pollfeed_poll_interval_seconds", "pollfeed_database_errors_total"} <= queried
    assert missing(dashboard, scrape) == set()


@pytest.mark.parametrize("bogus", [
    "pollfeed_no_such_thing_total",
    "pollfeed_requests",  # a counter is exported with its _total
    "pollfeed_request_duration_seconds",  # a histogram's bare name is no series
    "pollfeed_request_duration_seconds_total",
    "pollfeed_shed_total_count",  # _count belongs to histograms and summaries only
    "pollfeed_feed_head_bucket",
])
def test_a_dashboard_querying_a_metric_the_server_does_not_export_fails(scrape, bogus):
    dashboard = json.loads(DASHBOARD.read_text())
    broken = copy.deepcopy(dashboard)
    row = next(p for p in broken["panels"] if p.get("targets"))
    row["targets"].append({"expr": f'sum(rate({bogus}{{job=~"$job"}}[$__rate_interval]))', "refId": "Z"})
    assert missing(broken, scrape) == {bogus}


def test_every_panel_asks_the_datasource_variable_so_that_it_imports_anywhere():
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    sources = []

    def walk(node):
        if isinstance(node, dict):
            if "datasource" in node:
                sources.append(node["datasource"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(dashboard["panels"])
    walk([v for v in dashboard["templating"]["list"] if v["type"] == "query"])
    assert len(sources) > 20
    assert all(s == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"} for s in sources), sources


@pytest.mark.parametrize(("expr", "names"), [
    ('sum(rate(a_total{status="304"}[5m])) / sum(rate(a_total{method=~"GET|HEAD"}[5m]))', {"a_total"}),
    ("histogram_quantile(0.95, sum by (le, route) (rate(h_seconds_bucket[$__rate_interval])))", {"h_seconds_bucket"}),
    ('label_replace(up{job="x"}, "code", "${1}xx", "status", "(.).*")', {"up"}),
    ("x_sum / ignoring(le) group_left(route) y_count offset 5m", {"x_sum", "y_count"}),
    ('max by (instance, page) (g) or vector(0) > bool 1e3', {"g"}),
    ('{__name__="by_name", job="$job"}', {"by_name"}),
    ("max(deriv(head[10m:1m])) - on() min(horizon)", {"head", "horizon"}),
])
def test_metric_names_are_read_from_promql(expr, names):
    assert metric_names(expr) == names


def test_template_variables_are_read_for_their_metric():
    dashboard = {"templating": {"list": [
        {"type": "query", "query": {"query": 'label_values(jobs_total{env="$env"}, instance)'}},
        {"type": "query", "query": "label_values(job)"},
        {"type": "datasource", "query": "prometheus"},
    ]}}
    assert set().union(*map(metric_names, queries(dashboard))) == {"jobs_total"}

"""gunicorn settings; each can be overridden by its environment variable."""
import multiprocessing
import os
import shutil
import tempfile

# Metrics summed over every worker (prometheus_client's multiprocess mode, app/metrics.py): each
# worker writes its counters to files in this directory. Set before any worker imports the app.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pollfeed-metrics-")
    os.environ["POLLFEED_METRICS_DIR_OWNED"] = "1"  # made here: removed on exit (a reload keeps it)

from pollfeed import polling  # noqa: E402  (after the metrics directory is set)

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# The worker class per database (docs/benchmarks.md, bench/capacity.py): on PostgreSQL gthread with 4
# threads, whose threads overlap the round trips to a database on another host (with the database on
# the web host, sync does as well: WORKER_CLASS=sync); on SQLite, where a query is a function call and
# not a round trip, threads only contend for the GIL and the write lock, and sync holds more. Both
# feed the load signal: a gthread worker's own request queue is handed to it by post_worker_init.
# Pool sizing: each thread may hold a pooled connection and one poll-path connection, so keep
# DATABASE_POOL_SIZE >= THREADS; PostgreSQL sees up to workers x (pool + threads) per host.
_postgres = os.environ.get("DATABASE_URL", "").startswith("postgresql")
worker_class = os.environ.get("WORKER_CLASS") or ("gthread" if _postgres else "sync")
threads = int(os.environ.get("THREADS", "4" if worker_class == "gthread" else "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On a restart (HUP, or USR2 then QUIT) a worker finishing its requests gets as long as any request
# may take: no request in flight is cut off (tests/blackbox/test_restarts.py).
graceful_timeout = timeout
keepalive = 5
# Behind a proxy: trust X-Forwarded-* only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("ACCESS_LOG", "-") or None  # empty: no access log at all
# The access log keeps query strings but redacts the search term `q` (personal data): app/accesslog.py.
logger_class = "app.accesslog.AccessLogger"
# The request id (X-Request-Id: a proxy's, or one made by app/metrics.py) ties a line to its request.
# ACCESS_LOG_FORMAT=json writes JSON lines instead (app/accesslog.py).
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" rid=%({x-request-id}o)s'


# The load signal's hooks are the engine's (pollfeed/polling.py, pollfeed/load.py): only requests, not idle
# connections, enter the accept queue (when_ready); how many requests this host serves at once divides
# that queue (post_fork); a gthread worker hands over its own request queue (post_worker_init).
when_ready = polling.gunicorn_when_ready
post_fork = polling.gunicorn_post_fork
post_worker_init = polling.gunicorn_post_worker_init


def on_starting(server):
    # A directory given from outside may hold a previous run's files: start from zero.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get("POLLFEED_METRICS_DIR_OWNED"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

"""gunicorn settings; each can be overridden by its environment variable."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sync workers: every request is short (no push connections), so sync is the cheapest model.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
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
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def post_fork(server, worker):
    # How many requests this host serves at once: the load signal (app/sync/load.py) divides the
    # listening socket's accept queue by it.
    os.environ["POLLFEED_WORKERS"] = str(server.cfg.workers * max(server.cfg.threads, 1))

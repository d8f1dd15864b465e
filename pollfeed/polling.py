"""Poll advice: Poll-Interval (RFC 8941 dictionary), the caching headers and nosniff, in one after_request hook.

The advised interval follows the server's load (pollfeed.load); the poll path (pollfeed.poll) sends the same
headers, from `advice_headers`, on its own 304s.
"""
import json
import os
import socket

from flask import current_app

from . import load as loads

NOSNIFF = ("X-Content-Type-Options", "nosniff")


def caching_headers(config):
    """A response's body depends on its caller, and with CORS on (POLLFEED_CORS) its headers on the Origin."""
    vary = "Authorization, Origin" if config["POLLFEED_CORS"] else "Authorization"
    return (("Cache-Control", "private, no-cache"), ("Vary", vary))


def advice_headers(app):
    """What follows the ETag on a 304, exactly as the after_request hook below adds it."""
    state = app.extensions["pollfeed"]
    return [NOSNIFF, *state.caching, ("Poll-Interval", state.load.poll_interval())]


def load_signal(app=None):
    """The load signal (a pollfeed.load.Load: `intervals()`, `smoothed`, `watch_pool`) of `app` (by
    default the app in context), or None for an app without Pollfeed."""
    if app is None:
        app = current_app
    state = getattr(app, "extensions", {}).get("pollfeed")
    return None if state is None else state.load


def init_app(app):
    state = app.extensions["pollfeed"]
    load = state.load = loads.Load(app.config)
    caching = state.caching = caching_headers(app.config)

    @app.after_request
    def advise(response):
        # Static files set their own Cache-Control; API responses get the advice.
        headers = response.headers
        headers[NOSNIFF[0]] = NOSNIFF[1]  # every answer: a JSON body is never sniffed as HTML
        if "Cache-Control" not in headers:
            for name, value in caching:
                headers[name] = value
            headers["Poll-Interval"] = load.poll_interval()
        return response


def install_gate(app, never_shed=()):
    """Put the load gate in front of everything the app serves (see pollfeed.load). `never_shed`: path
    prefixes it always lets through (health checks, metrics, an operator's page), beside static files."""
    if isinstance(never_shed, str):  # tuple("/healthz") would be its characters, "/" among them: nothing shed
        raise TypeError("never_shed is a sequence of path prefixes, e.g. ('/healthz',)")
    body = json.dumps({"type": "overloaded", "title": "Service Unavailable", "status": 503,
                       "detail": "The server is over capacity: poll again after Retry-After seconds."}).encode()
    app.wsgi_app = loads.Gate(app.wsgi_app, load_signal(app), body, never_shed)


def gunicorn_post_fork(server, worker):
    """For gunicorn's `post_fork` hook: how many requests this host serves at once (workers x threads),
    which the load signal divides the listening socket's accept queue by (pollfeed.load)."""
    os.environ["POLLFEED_WORKERS"] = str(server.cfg.workers * max(server.cfg.threads, 1))


def gunicorn_post_worker_init(worker):
    """For gunicorn's `post_worker_init` hook: a gthread worker queues accepted requests for its threads
    inside the process, where the accept queue does not show them; hand that queue to the load signal."""
    pool, load = getattr(worker, "tpool", None), load_signal(worker.wsgi)
    if pool is not None and load is not None:
        load.watch_pool(pool._work_queue.qsize)


def gunicorn_when_ready(server):
    """For gunicorn's `when_ready` hook: a connection enters the accept queue only once its request has
    arrived (TCP_DEFER_ACCEPT), so a sync worker never sits blocked on a client that connected and has
    not spoken yet (a preconnect, an idle keep-alive), and the load signal counts requests, not idle
    sockets."""
    for listener in server.LISTENERS:
        if getattr(listener, "family", None) in (socket.AF_INET, socket.AF_INET6):
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 5)

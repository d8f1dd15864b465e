"""Load: the advised poll interval rises under load, and beyond capacity polls are shed early.

The signal: how long a request now waits before a worker takes it, estimated as

    queue delay = (connections waiting in the listening socket's accept queue) x (mean service time)
                  / (workers sharing that socket)

Where it lives, and why: in the kernel. Every gunicorn worker of a host accepts from the same
listening socket, so every worker reads the same accept queue (TCP_INFO on the listener: one system
call, about a microsecond), and their advice agrees without any shared memory or database round
trip. Each worker smooths the signal over LOAD_SMOOTHING seconds and keeps its own mean service time;
both converge across workers within a few requests. Hosts behind a load balancer each advise from
their own queue, which is what their clients experience.

A gthread worker accepts every connection at once and queues its requests for its threads inside
the process, out of the kernel's sight. There the signal adds that queue (the worker's thread pool,
handed over by gunicorn.conf.py's post_worker_init through `watch_pool`), by Little's law:

    + (requests pending in this worker's pool) x (mean time between two of its completions)

Threads share one GIL, so a request's own time says little of how fast the pool drains; the gap
between completions says exactly that while requests are pending (each sample capped at the request's
own time, so an idle spell does not count as slowness).

The rule (docs/operations.md, "Under overload"):
- interval = base x (1 + excess / OVERLOAD_DELAY), where excess is how far the smoothed delay exceeds
  OVERLOAD_DELAY (a short wait now and then is no overload), capped at POLL_INTERVAL_MAX, for the
  visible and the hidden interval alike (hidden=0 stays 0). Unloaded, the advice is the configured
  one; it grows smoothly with the queue (twice the base at twice OVERLOAD_DELAY) and shrinks again
  as the queue drains.
- when the queue delay right now exceeds SHED_DELAY, a GET or HEAD of the API is answered
  `503 overloaded` with Retry-After (the advised visible interval) before any database work. Writes
  and health checks are always admitted. Shedding costs microseconds, so the queue drains quickly
  and the requests that are admitted wait at most about SHED_DELAY.
"""
import math
import os
import socket
import struct
import threading
import time

_TCP_INFO_QUEUE = struct.Struct("=II")  # tcpi_unacked, tcpi_sacked: a listener's queue length and limit
_QUEUE_OFFSET = 24


def _listeners():
    """This process's listening TCP sockets (gunicorn's, inherited by each worker); [] if none."""
    found = []
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return found
    for name in fds:
        fd = int(name)
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if (sock.type == socket.SOCK_STREAM and sock.family in (socket.AF_INET, socket.AF_INET6)
                    and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)):
                found.append(sock)
                continue
        except OSError:
            pass
        sock.close()
    return found


class Load:
    """One per worker process: the smoothed queue delay, the advice it gives, and the shedding decision."""

    def __init__(self, config, workers=None):
        self.visible = config["POLLFEED_POLL_INTERVAL_VISIBLE"]
        self.hidden = config["POLLFEED_POLL_INTERVAL_HIDDEN"]
        self.maximum = max(config["POLLFEED_POLL_INTERVAL_MAX"], self.visible, self.hidden)
        self.overload_delay = config["POLLFEED_OVERLOAD_DELAY"]
        self.shed_delay = config["POLLFEED_SHED_DELAY"]
        self.smoothing = config["POLLFEED_LOAD_SMOOTHING"]
        self.workers = workers or int(os.environ.get("POLLFEED_WORKERS", "1"))
        # A delay beyond the one that already gives the longest advice adds nothing but a slower recovery.
        self.ceiling = self.overload_delay * (1 + self.maximum / max(min(self.visible, self.hidden or self.visible), 1))
        self.service = 0.005  # seconds, a mean over recent requests (starts at a typical poll's cost)
        self.smoothed = 0.0  # seconds of queue delay, smoothed over time
        self.at = time.monotonic()
        self.sockets = None
        self.pending = None  # a gthread worker's own request queue (watch_pool)
        self.gap = self.service  # seconds between two completed requests, a mean while busy
        self.done_at = time.perf_counter()
        self.lock = threading.Lock()
        self._advice = {}
        self._at_delay, self._intervals = None, None

    # -- the signal

    def watch_pool(self, pending):
        """A gthread worker: `pending()` counts the requests its threads have not yet taken."""
        self.pending = pending

    def queue(self):
        """Connections waiting to be accepted, summed over this process's listeners."""
        if self.sockets is None:
            self.sockets = _listeners()
        total = 0
        for sock in self.sockets:
            try:
                info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _QUEUE_OFFSET + 8)
            except OSError:
                continue
            total += _TCP_INFO_QUEUE.unpack_from(info, _QUEUE_OFFSET)[0]
        return total

    def waiting(self):
        """Requests this worker has accepted and not yet started (a gthread worker's pool; else 0)."""
        return 0 if self.pending is None else self.pending()

    def update(self, queued, now=None, pending=0):
        """Take a reading of the accept queue (and of this worker's pool); returns the queue delay right
        now, in seconds."""
        now = time.monotonic() if now is None else now
        delay = queued * self.service / self.workers
        if pending:
            delay += pending * self.gap
        if delay == 0.0 and self.smoothed == 0.0:  # unloaded, and was: nothing to smooth
            self.at = now
            return delay
        with self.lock:
            weight = 1.0 - math.exp(-max(now - self.at, 0.0) / self.smoothing)
            self.smoothed += weight * (min(delay, self.ceiling) - self.smoothed)
            if self.smoothed < 1e-6:  # a microsecond of queue is none (and the fast path above applies)
                self.smoothed = 0.0
            self.at = now
        return delay

    def served(self, seconds, end=None):
        """A request's service time (queue excluded), into the running means. Threads may race here:
        a lost sample of a running mean is harmless."""
        self.service += 0.05 * (seconds - self.service)
        end = time.perf_counter() if end is None else end
        self.gap += 0.05 * (min(end - self.done_at, seconds) - self.gap)
        self.done_at = end

    # -- the decisions

    def shed(self, delay):
        return self.shed_delay > 0 and delay > self.shed_delay

    def intervals(self):
        """(visible, hidden) seconds to advise now (recomputed only when the smoothed delay moved)."""
        smoothed = self.smoothed
        if smoothed == self._at_delay:
            return self._intervals
        self._intervals = self._compute(smoothed)
        self._at_delay = smoothed
        return self._intervals

    def _compute(self, smoothed):
        factor = 1.0 + max(0.0, smoothed - self.overload_delay) / self.overload_delay
        visible = min(self.maximum, max(self.visible, round(self.visible * factor)))
        hidden = 0 if self.hidden == 0 else min(self.maximum, max(self.hidden, round(self.hidden * factor)))
        return visible, hidden

    def poll_interval(self):
        """The Poll-Interval header's value now (strings cached: the unloaded case costs a lookup)."""
        key = self.intervals()
        value = self._advice.get(key)
        if value is None:
            value = self._advice[key] = f"visible={key[0]}, hidden={key[1]}"
        return value


#: Paths never shed whatever the host adds: its static files. Everything else a GET reaches is API.
NEVER_SHED = ("/static/",)


class Gate:
    """WSGI middleware, outermost but for metrics: read the queue, shed polls beyond capacity, time the rest."""

    def __init__(self, wsgi_app, load, retry_body, never_shed=()):
        self.app, self.load, self.retry_body = wsgi_app, load, retry_body
        self.never_shed = NEVER_SHED + tuple(never_shed)

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        delay = self.load.update(self.load.queue(), pending=self.load.waiting())
        path = environ.get("PATH_INFO", "")
        if (self.load.shed(delay) and environ.get("REQUEST_METHOD") in ("GET", "HEAD") and path != "/"
                and not path.startswith(self.never_shed)):
            environ["pollfeed.route"] = "(shed)"
            visible, _ = self.load.intervals()
            body = self.retry_body
            start_response("503 SERVICE UNAVAILABLE", [
                ("Content-Type", "application/problem+json"), ("Content-Length", str(len(body))),
                ("Retry-After", str(visible)), ("Poll-Interval", self.load.poll_interval()),
                ("Cache-Control", "no-store")])
            return [body]
        try:
            return self.app(environ, start_response)
        finally:
            end = time.perf_counter()
            self.load.served(end - start, end)

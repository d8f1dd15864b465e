"""Real gunicorn for black-box tests: migrate with the CLI, serve, stop by PID."""
import http.client
import json as _json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .calls import Calls

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn wsgi:app on a loopback port, with its own database: the reference server, or with `cwd`
    another app's directory and `app` its WSGI app ("helpdesk:create_app()": gunicorn and flask --app
    both call a factory), ready when `health` = (path, status) answers."""

    def __init__(self, database_url, workers=2, env=None, log_path=None, extra_args=(), access_log=True, cwd=ROOT,
                 health=("/healthz", 200), app="wsgi:app"):
        self.database_url = database_url
        self.cwd, self.health, self.app = cwd, health, app
        self.workers = workers
        # Shedding off unless a test asks for it: black-box tests drive the server with clients in tight
        # loops, beyond capacity on purpose, to test correctness under concurrency; overload has its
        # own tests (tests/blackbox/test_overload.py) and benchmark (bench/overload.py).
        self.env = {**os.environ, "DATABASE_URL": database_url, "PYTHONDONTWRITEBYTECODE": "1", "SHED_DELAY": "0",
                    **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.extra_args = list(extra_args)
        if not access_log:  # none at all (gunicorn.conf.py: an empty ACCESS_LOG), as benchmarks compare
            self.env["ACCESS_LOG"] = ""
        self.access_log = access_log
        self.proc = None

    def flask(self, *args):
        out = subprocess.run([sys.executable, "-m", "flask", "--app", self.app, *args], cwd=self.cwd, env=self.env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def user(self, name, admin=False):
        """A new user's token, as `flask users create` prints it (last line)."""
        return self.flask("users", "create", name, *(["--admin"] if admin else [])).strip().splitlines()[-1]

    def users(self, names):
        """Many users at once (one process): {name: token}, each made by `flask users create`."""
        script = ("import sys\nfrom app import create_app\nr = create_app().test_cli_runner()\n"
                  "for n in sys.argv[1:]:\n"
                  "    out = r.invoke(args=['users', 'create', n])\n"
                  "    assert out.exit_code == 0, out.output\n"
                  "    print(n, out.stdout.strip().splitlines()[-1])\n")
        out = subprocess.run([sys.executable, "-c", script, *names], cwd=self.cwd, env=self.env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.strip())

    def board(self, name):
        """A new user (by the CLI) with a project named `name` and its Todo status:
        (token, that user's Client, project id, status id)."""
        token = self.user(name)
        c = Client(self.url, token)
        pid = c.post("/projects", {"name": name}).json()["id"]
        todo = c.post(f"/projects/{pid}/statuses", {"name": "Todo"}).json()["id"]
        return token, c, pid, todo

    def start(self):
        self.flask("db", "upgrade")
        log = open(self.log_path or os.devnull, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", self.app, "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers),
             *(["--access-logfile", "-" if self.log_path else "/dev/null"] if self.access_log else []),
             *self.extra_args],
            cwd=self.cwd, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if Client(self.url).get(self.health[0]).status == self.health[1]:
                    return self
            except OSError:
                time.sleep(0.1)
            assert self.proc.poll() is None, "gunicorn exited"
        raise RuntimeError(f"gunicorn did not answer {self.health[0]} in 30 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, {k.lower(): v for k, v in headers}, body

    def json(self):
        return _json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())


class Client(Calls):
    """A stdlib HTTP client with one keep-alive connection (one per thread, please)."""

    default_headers = {"Accept": "application/json"}

    def __init__(self, url, token=None):
        host, port = url.split("//")[1].split(":")
        self.host, self.port, self.token = host, int(port), token
        self.conn = None

    def send(self, method, path, json, headers):
        data = None
        if json is not None:
            data = _json.dumps(json).encode()
            headers = {**headers, "Content-Type": "application/json"}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                return Response(r.status, r.getheaders(), r.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    @staticmethod
    def status_of(r):
        return r.status

    @staticmethod
    def json_of(r):
        return r.json()

    @staticmethod
    def header_of(r, name):
        return r.header(name)

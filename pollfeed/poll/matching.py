"""Which declared route a poll's path names, through Flask's own url_map (its rules and converters)."""
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException


@dataclass
class Route:
    """A GET route that declares how it is polled: its declaration, its rule, and its statements (built
    on first use, per kind)."""

    spec: Any
    rule: str
    statements: dict = field(default_factory=dict)


class Routes:
    """The app's declared GET routes, matched as Flask matches them; a path's match is remembered
    (bounded): polls repeat the same paths, and no match depends on the database."""

    def __init__(self, app):
        self.app = app
        self.table = None  # endpoint -> Route, made on first use: routes are registered after init_app
        self.matched = {}  # path (and host, see hosted) -> (route, URL values)
        # Rules that depend on the host (host or subdomain matching, SERVER_NAME) are matched per host.
        self.hosted = bool(app.url_map.host_matching or app.subdomain_matching or app.config["SERVER_NAME"])
        self.lock = threading.Lock()

    def _table(self):
        """endpoint -> Route, for every GET whose view declares how it is polled."""
        if self.table is None:
            with self.lock:
                if self.table is None:
                    table = {}
                    for rule in self.app.url_map.iter_rules():
                        if "GET" not in rule.methods:
                            continue
                        view = self.app.view_functions[rule.endpoint]
                        fn = getattr(getattr(view, "view_class", None), "get", view)
                        spec = getattr(fn, "__poll__", None)
                        if spec is not None:
                            table[rule.endpoint] = Route(spec, rule.rule)
                    self.table = table
        return self.table

    def match(self, environ, path):
        """(Route, URL values), or (None, None): no declared GET route has this path."""
        key = (environ.get("HTTP_HOST"), path) if self.hosted else path
        found = self.matched.get(key)
        if found is None:
            found = (None, None)
            try:
                endpoint, values = self.app.url_map.bind_to_environ(
                    environ, server_name=self.app.config["SERVER_NAME"]).match(path, method="GET")
            except HTTPException:  # 404, 405, or a redirect (a missing slash): Flask answers
                pass
            else:
                route = self._table().get(endpoint)
                if route is not None:
                    found = (route, values)
            if len(self.matched) >= 8192:
                self.matched.clear()
            self.matched[key] = found
        return found

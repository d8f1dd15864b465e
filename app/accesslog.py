"""gunicorn's access log without personal data: the search term `q` (names, e-mails, phones) is redacted.

The rest of the query string stays, cursors and filters included: they are
what an operator reads the log for, and none of them is personal.
"""
import json
import os
from datetime import datetime, timezone

from gunicorn.glogging import Logger

#: Query parameters whose values never reach the log.
REDACTED = frozenset({"q"})


def redact(query_string):
    """`a=1&q=ada%40example.com` -> `a=1&q=[redacted]`, every other byte as it was."""
    parts = query_string.split("&")
    for i, part in enumerate(parts):
        if part.partition("=")[0] in REDACTED:
            parts[i] = part.partition("=")[0] + "=[redacted]"
    return "&".join(parts)


class AccessLogger(Logger):
    """Set as gunicorn's `logger_class` (gunicorn.conf.py)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        query = environ.get("QUERY_STRING", "")
        clean = redact(query) if query else query
        if clean != query:
            path, _, raw_query = environ["RAW_URI"].partition("?")
            raw_uri = f"{path}?{redact(raw_query)}"
            atoms.update({"q": clean, "{query_string}e": clean, "{raw_uri}e": raw_uri,
                          "r": f"{environ['REQUEST_METHOD']} {raw_uri} {environ['SERVER_PROTOCOL']}"})
        return atoms

    def access(self, resp, req, environ, request_time):
        """ACCESS_LOG_FORMAT=json: one JSON object per line, with the request id (X-Request-Id)."""
        if os.environ.get("ACCESS_LOG_FORMAT", "text") != "json":
            return super().access(resp, req, environ, request_time)
        if not self.cfg.accesslog:
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "request_id": environ.get("pollfeed.request_id"),
            "remote": atoms["h"],
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": atoms["q"],
            "route": environ.get("pollfeed.route"),
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "user_agent": atoms["a"],
        }
        self.access_log.info(json.dumps(record))
        return None

"""Front ends on another origin (CORS_ORIGINS), with flask-cors.

Preflights are answered without a token (pollfeed.authenticate lets OPTIONS through, and Flask
answers OPTIONS itself). A cross-origin page may send the conditional and idempotency headers and
read the validators and the advice. With CORS_ORIGINS empty nothing is added: same origin only.

The poll path answers no cross-origin request: one that carries Origin goes to Flask, which adds the
CORS headers (a browser sends Origin on cross-origin fetches only, so same-origin polls keep the
fast path).
"""
from flask_cors import CORS

ALLOW_HEADERS = ["Authorization", "Content-Type", "If-None-Match", "If-Match", "If-Unmodified-Since",
                 "Idempotency-Key", "X-Request-Id"]
EXPOSE_HEADERS = ["ETag", "Poll-Interval", "Retry-After", "Location", "Last-Modified", "X-Request-Id",
                  "Idempotent-Replayed"]


def init_app(app):
    origins = app.config["CORS_ORIGINS"]
    if not origins:
        return
    CORS(app, origins=origins, allow_headers=ALLOW_HEADERS, expose_headers=EXPOSE_HEADERS,
         methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], supports_credentials=False, max_age=600,
         vary_header=True)

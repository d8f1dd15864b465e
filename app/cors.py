"""Front ends on another origin (CORS_ORIGINS), with flask-cors.

Preflights are answered without a token (pollfeed.authenticate lets OPTIONS through, and Flask
answers OPTIONS itself). A cross-origin page may send the conditional and idempotency headers and
read the validators and the advice. With CORS_ORIGINS empty nothing is added: same origin only.

CORS_CREDENTIALS (off by default) lets the listed origins' pages send the user's cookies
(`fetch(..., {credentials: "include"})`, the npm client's `credentials: "include"`): for a caller known by a
session cookie (`pf.caller_loader`, or a proxy in front that turns the cookie into a token). Bearer tokens
need no credentials. It is refused with the origin `*`: any site could then act with the user's cookies.

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
    credentials = bool(app.config.get("CORS_CREDENTIALS", False))
    if not origins:
        return
    if credentials and "*" in origins:
        raise ValueError("CORS_CREDENTIALS needs CORS_ORIGINS to name its origins, not '*': "
                         "any site could otherwise send requests with the user's cookies")
    CORS(app, origins=origins, allow_headers=ALLOW_HEADERS, expose_headers=EXPOSE_HEADERS,
         methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], supports_credentials=credentials,
         max_age=600, vary_header=True)

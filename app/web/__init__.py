"""The live board page, and the browser client served from the npm package's own source."""
from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("web", __name__, static_folder="static", static_url_path="/static")

#: The npm package's sources (clients/js/src): ES modules that run as they are, so the page and
#: `/static/<name>.js` serve the very files `npm pack` ships. No copy, no build step.
CLIENT = Path(__file__).resolve().parents[2] / "clients" / "js" / "src"
#: The entries a page can load without a bundler (react.js imports `react` by its bare name).
CLIENT_FILES = ("pollfeed.js", "pollfeed-query.js", "offline.js")

#: The page runs only its own files: no inline script or style, no framing, no plugins.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


@bp.get("/")
def board():
    return bp.send_static_file("index.html")


@bp.get("/admin")
def admin_chart():
    """The last minutes of polls (200 against 304), writes and the advice, for admins (app/metrics.py)."""
    return bp.send_static_file("admin.html")


@bp.get("/static/<any(%s):name>" % ", ".join(f'"{n}"' for n in CLIENT_FILES))
def client(name):
    """The browser client, from clients/js/src (revalidated: a deploy changes it in place)."""
    if not (CLIENT / name).is_file():
        abort(404)
    return send_from_directory(CLIENT, name, max_age=0)


@bp.get("/docs/assets/<path:name>")
def docs_assets(name):
    """Swagger UI's own files for /docs, from the swagger-ui-bundle package: never a CDN."""
    return send_from_directory(swagger_ui_path, name, max_age=86400)


@bp.after_request
def harden(response):
    response.headers.update(PAGE_HEADERS)
    return response

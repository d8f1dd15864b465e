"""The live board page and the browser client (static/pollfeed.js)."""
from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("web", __name__, static_folder="static", static_url_path="/static")

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


@bp.get("/docs/assets/<path:name>")
def docs_assets(name):
    """Swagger UI's own files for /docs, from the swagger-ui-bundle package: never a CDN."""
    return send_from_directory(swagger_ui_path, name, max_age=86400)


@bp.after_request
def harden(response):
    response.headers.update(PAGE_HEADERS)
    return response

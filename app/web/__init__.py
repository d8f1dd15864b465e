"""The live board page and the browser client (static/pollfeed.js)."""
from flask import Blueprint

bp = Blueprint("web", __name__, static_folder="static", static_url_path="/static")


@bp.get("/")
def board():
    return bp.send_static_file("index.html")

"""GET /healthz (the process is up) and GET /readyz (the database answers); no token needed."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        response = jsonify(status="unavailable", detail="The database does not answer.")
        response.status_code = 503
        response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER"])
        return response
    return jsonify(status="ok")

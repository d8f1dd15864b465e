"""GET /me: who the token belongs to."""

from flask import g
from marshmallow import Schema, fields

from pollfeed import LIST_HEADERS, Blueprint, conditional, principal_tag

blp = Blueprint("auth", __name__, description="The caller.")


class MeSchema(Schema):
    id = fields.String()
    name = fields.String()
    is_admin = fields.Boolean()


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema, headers=LIST_HEADERS)
@blp.doc(responses={"304": {"description": "Not modified"}})
def me():
    """The caller: id, name, is_admin."""
    p = g.principal
    etag = principal_tag(p.id, p.name, p.is_admin)  # from the three fields the token lookup already read
    conditional.check_read(etag)
    return p._asdict(), 200, {"ETag": etag}

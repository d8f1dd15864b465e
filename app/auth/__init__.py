"""Users, hashed bearer tokens, project membership and the read/owner checks built on them.

The engine learns two of them here: the read rule (a caller may read a project they are a member of;
admins read all) and how a token's hash finds its caller, for the poll path.
"""
from ..extensions import pf
from . import access, tokens

pf.read_rule(access.readable)
pf.bearer_tokens(tokens.principal_columns())


def protect(app, api, blueprint):
    """Register an API blueprint whose every route needs a caller (a bearer token); idempotent.

    The check is a before_request function of the app (not of the blueprint
    object), so each app made by create_app gets its own.
    """
    from pollfeed import authenticate

    if blueprint.name not in app.blueprints:
        api.register_blueprint(blueprint)
    funcs = app.before_request_funcs.setdefault(blueprint.name, [])
    if authenticate not in funcs:  # the engine finds the caller from the tokens declared above
        funcs.append(authenticate)

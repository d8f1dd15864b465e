"""What a domain registers, in one call: its domain package's init_app passes its pieces here."""


def register(app, api, blueprint, represent=None, parts=(), derivers=()):
    """Register one domain with the app (idempotent):
    - `blueprint`: its routes, every one behind a bearer token (auth.protect);
    - `represent`: {change type: dump}, how the feed embeds each of its types;
    - `parts`: its models whose rows belong to a project, children first (deleted with it);
    - `derivers`: functions(session, records) run before each commit, in registration order.
    """
    from .auth import protect
    from .boards.models import project_parts
    from .extensions import pf

    for change_type, dump in (represent or {}).items():
        pf.represent(change_type, dump)
    project_parts(*parts)
    for fn in derivers:
        pf.derive(fn)
    protect(app, api, blueprint)

"""Customers with search whose ETag moves only when the result does (seed 003)."""


def init_app(app, api):
    """Register customers: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from .. import domains
    from . import routes, schemas
    from .models import Customer

    domains.register(app, api, routes.blp, parts=(Customer,), represent={"customer": schemas.customer_schema.dump})

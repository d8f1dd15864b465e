"""Customers with search whose ETag moves only when the result does (seed 003)."""


def init_app(app, api):
    """Register customers: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from ..auth import protect
    from ..boards.models import project_parts
    from ..sync.versioned import represent
    from . import routes, schemas
    from .models import Customer

    represent("customer", schemas.customer_schema.dump)
    project_parts(Customer)
    protect(app, api, routes.blp)

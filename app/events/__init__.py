"""Events with approval, and bookings that never exceed capacity (seeds 000 and 001)."""


def init_app(app, api):
    """Register events and bookings: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from .. import domains
    from . import routes, schemas
    from .models import Booking, Event

    domains.register(app, api, routes.blp, parts=(Booking, Event), represent={
        "event": schemas.event_schema.dump, "booking": schemas.booking_schema.dump})

"""Events with approval, and bookings that never exceed capacity (seeds 000 and 001)."""


def init_app(app, api):
    """Register events and bookings: blueprint, feed representations, project parts and
    derivers. Called by create_app in app.DOMAINS order; idempotent."""
    from ..auth import protect
    from ..boards.models import project_parts
    from ..sync.versioned import represent
    from . import routes, schemas
    from .models import Booking, Event

    represent("event", schemas.event_schema.dump)
    represent("booking", schemas.booking_schema.dump)
    project_parts(Booking, Event)
    protect(app, api, routes.blp)

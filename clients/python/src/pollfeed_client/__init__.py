"""A Python client for Pollfeed: conditional GETs with an ETag cache, creates with an Idempotency-Key,
and `follow()`, the change feed as a generator that obeys the server's poll advice."""
from .client import Client, FeedGone, PollfeedError, parse_poll_interval

__all__ = ["Client", "FeedGone", "PollfeedError", "parse_poll_interval"]

"""The sync engine: versions, the change log, cursors, the feed, conditional requests, poll advice.

It imports nothing from the domain packages; they build on it.
"""
from . import changelog, http, idempotency, openapi, polling


def init_app(app, api):
    changelog.install()
    idempotency.init_app(app)  # first: its after_request hook runs last
    openapi.init_app(api)
    polling.init_app(app)
    app.before_request(http.refuse_nul)

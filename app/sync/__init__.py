"""The sync engine: versions, the change log, cursors, the feed, conditional requests, poll advice.

It imports nothing from the domain packages; they build on it.
"""
from . import changelog, http, polling


def init_app(app):
    changelog.install()
    polling.init_app(app)
    app.before_request(http.refuse_nul)

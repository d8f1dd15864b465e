"""flask-smorest's Blueprint with the engine's declarations: one per pollable GET, which gives the route its
response schema, its OpenAPI entries and its poll path. flask-smorest is optional (pip install
'pollfeed[openapi]'); without it, plain Flask views declare with pollfeed.poll's item, scoped_list and
caller_list, and the feed is a plain blueprint (pollfeed.routes)."""
import flask_smorest

from .http import ITEM_HEADERS, LIST_HEADERS, PARSER, READ_DOC, PageArgs


def _stacked(*decorators):
    def decorate(fn):
        for d in reversed(decorators):  # as if written top to bottom above `fn`
            fn = d(fn)
        return fn
    return decorate


def _instance(schema):
    return schema() if isinstance(schema, type) else schema


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with Pollfeed's argument parser and one declaration per pollable GET.

    Each declaration gives the route its response schema, its OpenAPI entries, and its poll path
    declaration (pollfeed.poll), from one schema instance for the query string, which both paths load.
    """

    ARGUMENTS_PARSER = PARSER

    def arguments(self, schema, *, location="json", **kwargs):
        """flask-smorest's, documenting the status the Parser answers: 400 for a query string, not 422."""
        if location != "json":
            kwargs.setdefault("error_status_code", 400)
        return super().arguments(schema, location=location, **kwargs)

    def item(self, schema, model, optional=False, **keys):
        """GET of one versioned row (see poll.item): the view receives the row; `schema` is also how the
        feed embeds the model's changes (`?include=resource`), unless pf.represent declares another."""
        from . import poll

        return _stacked(self.response(200, schema, headers=ITEM_HEADERS), self.doc(responses=READ_DOC),
                        poll.item(model, optional, _instance(schema).dump, **keys))

    def scoped_list(self, schema, scope_arg, query=PageArgs, audience=False, digest=None):
        """GET of a list within the scope named by the URL variable `scope_arg` (see poll.scoped_list);
        the view receives the loaded query string, then the URL variables."""
        from . import poll

        query = _instance(query)
        return _stacked(self.arguments(query, location="query"), self.response(200, schema, headers=LIST_HEADERS),
                        self.doc(responses=READ_DOC), poll.scoped_list(scope_arg, audience, query, digest))

    def caller_list(self, schema, query=PageArgs):
        """GET of everything the caller can read (see poll.caller_list)."""
        from . import poll

        query = _instance(query)
        return _stacked(self.arguments(query, location="query"), self.response(200, schema, headers=LIST_HEADERS),
                        self.doc(responses={"304": READ_DOC["304"]}), poll.caller_list(query))  # never 404

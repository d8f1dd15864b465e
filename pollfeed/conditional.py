"""Conditional requests (RFC 9110 section 13): 304, 412 and 428 as exceptions, decided from stored versions."""
from datetime import timezone

from flask import current_app, request
from werkzeug.http import http_date, unquote_etag

from .problems import BadRequest, Problem


class NotModified(Problem):
    """304: the client's copy is current. Carries the same validators the 200 would."""

    code = 304

    def __init__(self, etag, last_modified=None):
        headers = {"ETag": etag}
        if last_modified is not None:
            headers["Last-Modified"] = http_date(last_modified.replace(tzinfo=timezone.utc))
        super().__init__(headers=headers)


class PreconditionFailed(Problem):
    code = 412
    problem_type = "precondition-failed"

    STALE = ("If-Match names no current version of the resource (it has changed, or the tag is not one it "
             "gave): fetch it again and retry with its ETag.")

    def __init__(self, etag=None, detail=STALE):
        super().__init__(detail, headers={"ETag": etag} if etag else None)


class PreconditionRequired(Problem):
    code = 428
    problem_type = "precondition-required"

    def __init__(self):
        super().__init__("This write needs If-Match (or If-Unmodified-Since) so that no update is lost.")


def _seconds(dt):
    """Stored naive UTC, truncated to the second resolution of HTTP dates."""
    return dt.replace(microsecond=0, tzinfo=timezone.utc)


def _same_date(last_modified, date):
    """Whether a client's date names the current version: it must be the Last-Modified we sent, exactly.

    Not "not older than", as RFC 9110 allows: a restore from a backup takes `updated_at` back, so a date
    issued before the restore is later than the restored row's, and would pass for it (a 304 on
    If-Modified-Since for another body, a write on If-Unmodified-Since over data the client never saw).
    A date this server never issued therefore matches nothing (docs/http-api.md). Two versions written within
    one second still share a date: dates are weak validators, ETags are the strong ones.
    """
    return last_modified is not None and date is not None and _seconds(last_modified) == date


def validators(etag, last_modified=None):
    """The ETag (and Last-Modified) headers of a 200."""
    headers = {"ETag": etag}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified.replace(tzinfo=timezone.utc))
    return headers


def check_read(etag, last_modified=None):
    """Raise NotModified when the GET/HEAD preconditions say the client's copy is current.

    RFC 9110 section 13.2.2 order: If-Match (strong; a mismatch is 412 on a GET
    too), If-Unmodified-Since, then If-None-Match (weak) or If-Modified-Since.
    """
    headers = request.headers
    if "If-Match" in headers or "If-Unmodified-Since" in headers:
        _check_unchanged(etag, last_modified)
    if "If-None-Match" in headers:
        tags = request.if_none_match  # weak comparison: W/"v1" matches "v1"
        if tags.star_tag or tags.contains_weak(unquote_etag(etag)[0]):
            raise NotModified(etag, last_modified)
        return
    if _same_date(last_modified, request.if_modified_since):
        raise NotModified(etag, last_modified)


def _check_unchanged(etag, last_modified):
    """If-Match, else If-Unmodified-Since: 412 unless the current version is the one named.

    If-Match names our current strong tag, or its weak form: a gzipping proxy (nginx, deploy/)
    turns "v3" into W/"v3" on the way out, and the client sends back what it got. The tag is the
    version, so W/"v3" still says "based on version 3" and a stale one is still 412 (docs/http-api.md). A
    tag we issue weak ourselves (a search's digest) matches only `*`.
    """
    headers = request.headers
    if "If-Match" in headers:
        tags = request.if_match
        opaque, weak = unquote_etag(etag)
        if not (tags.star_tag or (not weak and tags.contains_weak(opaque))):
            raise PreconditionFailed(etag)
    elif "If-Unmodified-Since" in headers:
        since = request.if_unmodified_since
        if since is None:
            raise BadRequest("If-Unmodified-Since is not an HTTP date.")
        if last_modified is not None and not _same_date(last_modified, since):
            raise PreconditionFailed(etag)


def check_write(etag, last_modified=None):
    """Raise 412/428 unless the write's preconditions hold for the current version (strong comparison)."""
    headers = request.headers
    if "If-Match" in headers or "If-Unmodified-Since" in headers:
        _check_unchanged(etag, last_modified)
    elif current_app.config["POLLFEED_REQUIRE_IF_MATCH"]:
        raise PreconditionRequired()


def check_create():
    """A PUT that would create: If-Match can match nothing; If-None-Match: * is fine."""
    if "If-Match" in request.headers:
        raise PreconditionFailed(None, "No current representation to match.")


def check_create_only(etag):
    """A PUT onto an existing resource with If-None-Match: * (create-only) fails."""
    tags = request.if_none_match
    if "If-None-Match" in request.headers and (tags.star_tag or tags.contains_weak(unquote_etag(etag)[0])):
        raise PreconditionFailed(etag, "The resource exists and the request is create-only (If-None-Match).")

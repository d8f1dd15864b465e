"""Poll advice: Poll-Interval (RFC 8941 dictionary), the caching headers and nosniff, in one after_request hook.

The poll path (sync.poll) sends the same headers, from `advice_headers`, on its own 304s.
"""

NOSNIFF = ("X-Content-Type-Options", "nosniff")


def poll_interval_value(visible, hidden):
    return f"visible={int(visible)}, hidden={int(hidden)}"


def caching_headers(config):
    """The headers every API response carries, in the order they are added."""
    return (
        ("Cache-Control", "private, no-cache"),
        ("Vary", "Authorization"),
        ("Poll-Interval", poll_interval_value(config["POLL_INTERVAL_VISIBLE"], config["POLL_INTERVAL_HIDDEN"])),
    )


def advice_headers(config):
    """What follows the ETag on a 304, exactly as the after_request hook below adds it."""
    return [NOSNIFF, *caching_headers(config)]


def init_app(app):
    # Computed once: the hook only copies strings, so a 304 pays next to nothing for it.
    common = caching_headers(app.config)

    @app.after_request
    def advise(response):
        # Static files set their own Cache-Control; API responses get the advice.
        headers = response.headers
        headers[NOSNIFF[0]] = NOSNIFF[1]  # every answer: a JSON body is never sniffed as HTML
        if "Cache-Control" not in headers:
            for name, value in common:
                headers[name] = value
        return response

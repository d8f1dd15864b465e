"""Poll advice: Poll-Interval (RFC 8941 dictionary), the caching headers and nosniff, in one after_request hook."""


def poll_interval_value(visible, hidden):
    return f"visible={int(visible)}, hidden={int(hidden)}"


def init_app(app):
    # Computed once: the hook only copies strings, so a 304 pays next to nothing for it.
    common = (
        ("Cache-Control", "private, no-cache"),
        ("Vary", "Authorization"),
        ("Poll-Interval", poll_interval_value(app.config["POLL_INTERVAL_VISIBLE"], app.config["POLL_INTERVAL_HIDDEN"])),
    )

    @app.after_request
    def advise(response):
        # Static files set their own Cache-Control; API responses get the advice.
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"  # every answer: a JSON body is never sniffed as HTML
        if "Cache-Control" not in headers:
            for name, value in common:
                headers[name] = value
        return response

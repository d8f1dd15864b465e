"""Per-user notifications, made by the server from the changes that concern a user (seed 001).

They are private rows (`__audience_attr__`): in the feed and in lists only for
their user. The unread count is a resource of its own, so a badge polls it
with If-None-Match and gets 304 until it moves.
"""

"""Stamps: random numbers that make every validator name one body for the database's whole life.

Versions and log positions are counters: a database restored from a backup hands them out a second
time, for other bodies. So each row version, and each transaction's block of log positions, also
carries a stamp drawn at random when it is written, and every tag and cursor carries the stamp of what
it names. A restored database holds the same stamps at the positions and versions it restored (the
same bodies, so old validators rightly still match) and new stamps at everything written after the
restore, so a validator issued before the restore for a later version or position no longer matches:
its tag gets a 200, its cursor a 410 `cursor-unknown`. Nobody has to notice the restore.

Drawn from the operating system (`secrets`), never from `random`: gunicorn's `--preload` forks every
worker from one interpreter, and a Mersenne twister seeded before the fork would repeat one sequence
in every worker, and again in a worker restarted after a restore.
"""
import secrets

#: Stamps are 48-bit: a stale validator matches a new stamp by chance once in 2**48.
BITS = 48
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def new():
    """A fresh stamp (never 0: that is the stamp of a placeholder body with no row, such as an unread
    count at version 0)."""
    return secrets.randbits(BITS) or 1


def base36(n):
    """`n` (an integer >= 0) in base 36: the compact, URL-safe form tags and cursors carry."""
    if n < 0:
        raise ValueError(f"never negative: {n}")
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if not n:
            return out

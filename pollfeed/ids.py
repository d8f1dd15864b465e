"""Opaque, unguessable, creation-ordered ids (ULID layout, lower-case Crockford base32)."""
import secrets
import time

#: The longest id the engine's tables keep, as text: a ULID (26 characters), a UUID (36), any integer.
ID_LENGTH = 64

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_id():
    """26 characters: 48 bits of milliseconds, then 80 random bits.

    The time prefix keeps `after=<id>` paging in creation order; the 80 random
    bits keep ids unguessable.
    """
    n = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_ALPHABET[(n >> shift) & 31] for shift in range(125, -1, -5))

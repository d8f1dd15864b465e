"""Users, hashed bearer tokens, project membership and the read/owner checks built on them."""

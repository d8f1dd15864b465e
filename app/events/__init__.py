"""Events with approval, and bookings that never exceed capacity (seeds 000 and 001)."""

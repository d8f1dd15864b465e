"""Customers with search whose ETag moves only when the result does (seed 003)."""

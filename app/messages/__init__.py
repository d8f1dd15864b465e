"""Threads between the members of a project, and their messages (seed 001)."""

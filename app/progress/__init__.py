"""Derived progress: per member points, completed tasks and streak; per project a summary (seed 002).

Nothing here is written by a client. A deriver (see app/sync/changelog.py)
recomputes the rows of every project whose tasks, statuses or members changed,
from scratch, in the same transaction, so they never drift and their versions
move in the same commit as their inputs.
"""

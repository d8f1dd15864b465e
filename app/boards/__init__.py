"""The kanban domain: projects, members, statuses, tasks."""

"""gunicorn's hooks for the load signal, the engine's (docs/deployment.md):
`gunicorn -c gunicorn.conf.py 'helpdesk:create_app()'`."""
from pollfeed import polling

when_ready = polling.gunicorn_when_ready
post_fork = polling.gunicorn_post_fork
post_worker_init = polling.gunicorn_post_worker_init

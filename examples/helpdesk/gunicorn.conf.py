"""gunicorn's hooks for the load signal (docs/deployment.md): `gunicorn -c gunicorn.conf.py 'helpdesk:create_app()'`."""


def when_ready(server):
    from pollfeed import polling

    polling.gunicorn_when_ready(server)


def post_fork(server, worker):
    from pollfeed import polling

    polling.gunicorn_post_fork(server, worker)


def post_worker_init(worker):
    from pollfeed import polling

    polling.gunicorn_post_worker_init(worker)

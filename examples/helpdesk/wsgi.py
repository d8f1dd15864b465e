"""gunicorn 'wsgi:app' (run from this directory)."""
from helpdesk import create_app

app = create_app()

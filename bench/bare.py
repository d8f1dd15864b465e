"""The yardstick: a bare Flask endpoint that answers 304 with no work."""
from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare():
    return "", 304, {"ETag": '"v1"'}

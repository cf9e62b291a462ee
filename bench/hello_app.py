"""A hello-world Flask app, the yardstick for bench/bench_load.py: served by the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"

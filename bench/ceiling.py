"""The ceiling: a bare Flask "hello" on waitress as it comes, with the app's thread count."""

import sys

from flask import Flask
from waitress import serve

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"


if __name__ == "__main__":
    serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, ident="ceiling")

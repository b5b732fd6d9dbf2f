"""GET /search?q=…: one search box for the whole intranet."""

from flask import Blueprint, request
from flask_login import current_user

from intranet.auth.access import require_login
from intranet.platform.cleaning import clean_line
from intranet.platform.htmx import render
from intranet.search import services

bp = Blueprint("search", __name__)
bp.before_request(require_login)


@bp.get("/search")
def index():
    query = clean_line(request.args.get("q"))[:200]
    # The account itself, not Flask-Login's proxy: each provider's rule reads it often.
    results = services.search(current_user._get_current_object(), query)
    return render("search/index.html", query=query, results=results, min_length=services.MIN_LENGTH)

"""Every error page, as a whole page or as a message for the flash area of an htmx page."""

import logging

from flask import make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from intranet.platform.i18n import gettext as _


class NotFound(LookupError):
    """What the actor asked for is absent or not shared with them: one answer for both, so that
    nobody learns what exists outside their audience (404, never 403). The areas' services
    raise it instead of calling `abort`, so that they work outside a request too; the handler
    below answers it with the 404 page or message."""


log = logging.getLogger(__name__)


def _titles():
    return {
        400: (_("Bad request"), _("The request could not be processed.")),
        403: (_("Access denied"), _("You do not have permission for this action.")),
        404: (
            _("Page not found"),
            _("This page does not exist, or it is not shared with your account."),
        ),
        405: (_("Method not allowed"), _("This address does not accept this kind of request.")),
        413: (_("File too large"), _("The uploaded file is larger than allowed.")),
        429: (_("Too many attempts"), _("Please wait a moment and try again.")),
        500: (
            _("Something went wrong"),
            _(
                "An unexpected error occurred. Please try again later; if it persists, tell the administration."
            ),
        ),
    }


def render_error(status: int, message: str | None = None, headers=None):
    title, text = _titles().get(status, (_("Error"), ""))
    context = {"status": status, "title": title, "text": message or text}
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        # Into the flash area, never into the element the request aimed at (a table row, a form).
        body = render_template("errors/_message.html", **context)
        response = make_response(body, status)
        response.headers["HX-Retarget"] = "#flashes"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = make_response(render_template("errors/page.html", **context), status)
    response.vary.add("HX-Request")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            _(
                "The form had expired or was sent from elsewhere. Please reload the page and try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        headers = {}
        if error.code == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code, headers=headers)

    @app.errorhandler(NotFound)
    def not_found(error):
        # A service's "absent or hidden": the same answer as a loader's abort(404).
        return render_error(404)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)

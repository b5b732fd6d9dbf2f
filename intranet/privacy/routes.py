"""The record of processing (Art. 30) for the admin; the exports and erasure stay on the pages
of what they concern (a directory entry, an account)."""

from flask import Blueprint, abort, current_app, url_for
from flask_login import current_user

from intranet.platform.htmx import render
from intranet.privacy import services

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

# Endpoints these pages had before they moved here, so that url_for with the old name still
# builds the same address.
OLD_ENDPOINTS = {"directory.privacy_record": "privacy.record"}


@bp.before_request
def admins_only():
    if not current_user.is_authenticated:
        # The sign-in redirect the auth area installed (htmx-aware), without importing it.
        return current_app.login_manager.unauthorized()
    if not current_user.is_admin:
        abort(404)
    return None


@bp.record_once
def keep_old_endpoint_names(state):
    def build_old(_error, endpoint, values):
        if endpoint in OLD_ENDPOINTS:
            return url_for(OLD_ENDPOINTS[endpoint], **values)
        return None

    state.app.url_build_error_handlers.append(build_old)


@bp.get("/record")
def record():
    return render("privacy/record.html", entries=services.record_of_processing())

"""The auth area's one blueprint and what every page shares: the app-wide checks (idle
sessions, a password the administration typed, the sign-in), the session's remaining time,
and the steps after the password that several pages take. The route modules beside this one
add their pages to `bp`."""

import datetime as dt

from flask import Blueprint, flash, g, redirect, request, session, url_for
from flask_babel import format_time
from flask_login import current_user

from intranet.auth import saved_forms, second_factor, services
from intranet.auth.access import to_login
from intranet.auth.sessions import (
    LOGIN_AT,
    end_session,
    remaining_seconds,
    session_expired,
    start_pending,
    start_session,
)
from intranet.core.accounts import Account
from intranet.platform.extensions import login_manager
from intranet.platform.filters import CLOCK
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _

bp = Blueprint("auth", __name__)


# The second step's pages check the half-finished sign-in themselves (sessions.pending_sign_in).
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.login_code",
    "auth.login_setup",
    "auth.setup",
    "auth.language",
    "auth.password_link",
    # Answers for itself: after the session has ended it says so instead of redirecting.
    "auth.extend",
}


# What someone who must replace a password the administration typed may still reach.
BEFORE_OWN_PASSWORD = {"static", "auth.choose_password", "auth.logout", "auth.language"}


@bp.before_app_request
def expire_idle_sessions():
    if request.endpoint == "static":
        return  # no account to load for a stylesheet; the page around it checked the session
    if current_user.is_authenticated and session_expired():
        # The CSRF check has run already (CSRFProtect's hook comes first), so what is kept
        # came from the person's own page.
        form_page = saved_forms.keep_typed_text(current_user)
        end_session()
        if form_page:
            g.sign_in_next = form_page  # back to the form, not to where it was posted
            flash(
                _(
                    "Your session has ended. What you typed has been kept: sign in again "
                    "to continue."
                ),
                "info",
            )
        else:
            flash(_("Your session has ended. Please sign in again."), "info")


bp.add_app_template_global(remaining_seconds, "session_remaining")


@bp.after_app_request
def tell_remaining_time(response):
    """Every answer tells the page how long the session has left, so that its warning
    (static/js/app.js) counts from the latest request, htmx requests included."""
    if request.endpoint != "static" and LOGIN_AT in session:
        response.headers["X-Session-Remaining"] = str(remaining_seconds())
    return response


@bp.before_app_request
def require_own_password():
    """Every page waits until a password typed by the administration has been replaced."""
    if request.endpoint in BEFORE_OWN_PASSWORD or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect_to(url_for("auth.choose_password"))
    return None


@bp.before_request
def require_login_except_public():
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return to_login()
    return None


@login_manager.unauthorized_handler
def unauthorized():
    return to_login()


def _retry_message(throttled: services.Throttled, signing_in: bool = True) -> str:
    time = format_time(throttled.retry_at.replace(tzinfo=dt.UTC), CLOCK)
    if signing_in:
        return _("Too many failed sign-in attempts. Please try again from %(time)s.", time=time)
    return _("Too many wrong passwords. Please try again from %(time)s.", time=time)


def _continue_sign_in(account: Account, next_path: str | None, method: str | None = None):
    """After the password: signed in, or on to the second step (code or its set-up).
    `method` names a way in other than the sign-in form, for the audit log."""
    step = second_factor.next_step(account)
    if step is None:
        if method:
            services.complete_sign_in(account, method)
        start_session(account)
        return redirect(next_path or url_for("pages.home"), 303)
    start_pending(account, step, next_path)
    return redirect(url_for("auth.login_code" if step == "verify" else "auth.login_setup"), 303)


def _setup_page(account, factor, form, action, required=False):
    secret = second_factor.secret(factor)
    uri = second_factor.provisioning_uri(factor, account)
    return render(
        "auth/second_factor_setup.html",
        form=form,
        action=action,
        required=required,
        account=account,
        secret=second_factor.grouped(secret),
        plain_secret=secret,
        otpauth_uri=uri,
        qr_code=second_factor.qr_svg(uri, _("QR code for your authenticator app")),
        status=422 if form.errors else 200,
    )

"""Sign-in, sign-out, first set-up, own account and language choice."""

import datetime as dt

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user

import intranet.auth.privacy  # noqa: F401 (registers the accounts' part of the DSGVO duties)
from intranet.auth import services
from intranet.auth.access import safe_next, to_login
from intranet.auth.forms import EmptyForm, LoginForm, PasswordChangeForm, SetupForm
from intranet.auth.models import Account
from intranet.auth.passwords import WeakPassword
from intranet.auth.sessions import end_session, session_expired, start_session
from intranet.config import LANGUAGES
from intranet.core import audit
from intranet.db import utcnow
from intranet.extensions import login_manager
from intranet.htmx import redirect_to, render

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.login", "auth.setup", "auth.language"}


@bp.before_app_request
def expire_idle_sessions():
    if request.endpoint == "static":
        return  # no account to load for a stylesheet; the page around it checked the session
    if current_user.is_authenticated and session_expired():
        end_session()
        flash(_("Your session has ended. Please sign in again."), "info")


@bp.before_request
def require_login_except_public():
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return to_login()
    return None


@login_manager.unauthorized_handler
def unauthorized():
    return to_login()


def _retry_message(throttled: services.Throttled) -> str:
    retry_at = throttled.retry_at.replace(tzinfo=dt.UTC)
    return _(
        "Too many failed sign-in attempts. Please try again from %(time)s.",
        time=format_time(retry_at, "short"),
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method != "POST":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or url_for("pages.home"))
        return render("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, status=422)
    result = services.authenticate(form.email.data, form.password.data, request.remote_addr or "")
    form.password.data = ""
    if isinstance(result, services.Throttled):
        seconds = max(1, int((result.retry_at - utcnow()).total_seconds()))
        response = render("auth/login.html", form=form, error=_retry_message(result), status=429)
        response.headers["Retry-After"] = str(seconds)
        return response
    if result is None:
        return render(
            "auth/login.html",
            form=form,
            error=_("The email address or the password is not correct."),
            status=401,
        )
    start_session(result)
    return redirect(safe_next(form.next.data) or url_for("pages.home"), 303)


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        audit.record("logout", target=f"account:{current_user.id}")
        services.end_all_sessions(current_user)
        end_session()
        flash(_("You have signed out."), "success")
    return redirect_to(url_for("auth.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token):
    if not services.setup_token_valid(token):
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            account = services.create_first_admin(
                token, form.email.data, form.display_name.data, form.password.data
            )
        except WeakPassword as error:
            form.password.errors.append(str(error))
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            start_session(account)
            flash(_("Welcome! Your administrator account is ready."), "success")
            return redirect(url_for("pages.home"), 303)
    status = 422 if request.method == "POST" else 200
    return render("auth/setup.html", form=form, status=status)


@bp.get("/account")
def account():
    return render("auth/account.html", form=PasswordChangeForm())


@bp.post("/account/password")
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except WeakPassword as error:
            form.new_password.errors.append(str(error))
        except services.AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            # Every other session is now void; this one continues with the new version.
            start_session(Account.get_by_id(current_user.id))
            flash(
                _(
                    "Your password has been changed. Other sessions have been signed out. "
                    "Your calendar subscription address no longer works either; you can "
                    "create a new one below."
                ),
                "success",
            )
            return redirect_to(url_for("auth.account"))
    return render("auth/account.html", form=form, status=422)


@bp.post("/language")
def language():
    form = EmptyForm()
    chosen = request.form.get("lang")
    if form.validate_on_submit() and chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for("pages.home"), 303)

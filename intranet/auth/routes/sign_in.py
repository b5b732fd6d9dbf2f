"""Sign-in with its second step (the code, or setting the second factor up when the role
needs one), keeping the session alive, and signing out."""

from flask import flash, jsonify, redirect, request, url_for
from flask_login import current_user

from intranet.auth import second_factor, services
from intranet.auth.access import safe_next
from intranet.auth.forms import EmptyForm, LoginForm, SecondFactorSetupForm, SecondStepForm
from intranet.auth.routes.blueprint import _continue_sign_in, _retry_message, _setup_page, bp
from intranet.auth.second_factor import SecondFactorError
from intranet.auth.sessions import end_session, extend_session, pending_sign_in, start_session
from intranet.core import audit
from intranet.core.ids import ref
from intranet.platform.db import utcnow
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import ngettext


@bp.post("/session/extend")
def extend():
    """The warning's button: restart the idle timer; answers the seconds now left."""
    if not current_user.is_authenticated:
        return jsonify(remaining=0), 401
    return jsonify(remaining=extend_session())


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
        return _throttled("auth/login.html", result, form=form)
    if result is None:
        return render(
            "auth/login.html",
            form=form,
            error=_("The email address or the password is not correct."),
            status=401,
        )
    return _continue_sign_in(result, safe_next(form.next.data))


def _sign_in_again():
    flash(_("Your sign-in was not completed in time. Please sign in again."), "info")
    return redirect(url_for("auth.login"), 303)


def _throttled(template: str, throttled: services.Throttled, **context):
    seconds = max(1, int((throttled.retry_at - utcnow()).total_seconds()))
    response = render(template, error=_retry_message(throttled), status=429, **context)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    pending = pending_sign_in("verify")
    if pending is None:
        return _sign_in_again()
    account, next_path = pending
    form = SecondStepForm()
    if request.method != "POST":
        return render("auth/login_code.html", form=form)
    if not form.validate_on_submit():
        return render("auth/login_code.html", form=form, status=422)
    result = services.check_second_step(account, form.code.data, request.remote_addr or "")
    form.code.data = ""
    if isinstance(result, services.Throttled):
        return _throttled("auth/login_code.html", result, form=form)
    if result is None:
        error = _("This code is not correct or has already been used.")
        return render("auth/login_code.html", form=form, error=error, status=401)
    services.complete_sign_in(account, result)
    start_session(account)
    if result == "recovery code":
        flash(
            ngettext(
                "You signed in with a recovery code, which now no longer works. %(num)s unused "
                "code is left; you can make new ones under My account.",
                "You signed in with a recovery code, which now no longer works. %(num)s unused "
                "codes are left; you can make new ones under My account.",
                second_factor.remaining_recovery_codes(account),
            ),
            "warning",
        )
    return redirect(safe_next(next_path) or url_for("pages.home"), 303)


@bp.route("/login/setup", methods=["GET", "POST"])
def login_setup():
    """Set-up right after the password, for whom the role requires a second factor."""
    pending = pending_sign_in("setup")
    if pending is None:
        return _sign_in_again()
    account, next_path = pending
    try:
        factor = second_factor.begin_setup(account)
    except SecondFactorError:  # switched on meanwhile, in another window
        return _sign_in_again()
    form = SecondFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_setup(account, form.code.data)
        except SecondFactorError as error:
            form.code.errors.append(str(error))
        else:
            services.complete_sign_in(account, "second factor set up")
            start_session(account)
            return render(
                "auth/recovery_codes.html",
                codes=codes,
                continue_url=safe_next(next_path) or url_for("pages.home"),
            )
    return _setup_page(account, factor, form, url_for("auth.login_setup"), required=True)


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        audit.record("logout", target=ref("account", current_user.id))
        services.end_all_sessions(current_user)
        end_session()
        flash(_("You have signed out."), "success")
    return redirect_to(url_for("auth.login"))

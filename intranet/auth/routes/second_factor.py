"""Switching the second factor on and off on the own account page, and new recovery
codes: each asks for the password again."""

from flask import flash, request, url_for
from flask_login import current_user

from intranet.auth import second_factor, services
from intranet.auth.forms import ConfirmPasswordForm, SecondFactorSetupForm
from intranet.auth.routes.account import _account_page
from intranet.auth.routes.blueprint import _retry_message, _setup_page, bp
from intranet.auth.second_factor import SecondFactorError
from intranet.auth.sessions import (
    allow_second_factor_setup,
    end_second_factor_setup,
    second_factor_setup_allowed,
)
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _


def _with_password(prefix: str, action, done):
    """A change to the second factor that asks for the password again on /account: counted
    and throttled like sign-ins (429), a wrong password shown at its field (422). `action`
    gets the password and refuses with SecondFactorError; `done` gets its result and answers."""
    form = ConfirmPasswordForm(prefix=prefix)
    status = 422
    if form.validate_on_submit():
        if throttled := services.claim_password_check(current_user, request.remote_addr or ""):
            form.password.errors.append(_retry_message(throttled, signing_in=False))
            status = 429
        else:
            try:
                result = action(form.password.data)
            except SecondFactorError as error:
                form.password.errors.append(str(error))
            else:
                services.password_check_passed(current_user)
                return done(result)
    return _account_page(status=status, **{f"{prefix}_form": form})


def _show_codes(codes):
    return render("auth/recovery_codes.html", codes=codes, continue_url=url_for("auth.account"))


@bp.post("/account/second-factor/on")
def switch_on_second_factor():
    def open_setup(_factor):
        allow_second_factor_setup(current_user)
        return redirect_to(url_for("auth.second_factor_setup"))

    return _with_password(
        "on", lambda password: second_factor.start_setup(current_user, password), open_setup
    )


@bp.route("/account/second-factor", methods=["GET", "POST"])
def second_factor_setup():
    """The QR code and the code from the app; only after the password was given again."""
    if not second_factor_setup_allowed(current_user):
        flash(
            _("Please confirm with your password that you want to switch on the second factor."),
            "info",
        )
        return redirect_to(url_for("auth.account") + "#second-factor")
    try:
        factor = second_factor.begin_setup(current_user)
    except SecondFactorError as error:
        end_second_factor_setup()
        flash(str(error), "info")
        return redirect_to(url_for("auth.account"))
    form = SecondFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_setup(current_user, form.code.data)
        except SecondFactorError as error:
            form.code.errors.append(str(error))
        else:
            end_second_factor_setup()
            return _show_codes(codes)
    return _setup_page(current_user, factor, form, url_for("auth.second_factor_setup"))


@bp.post("/account/second-factor/recovery-codes")
def renew_recovery_codes():
    return _with_password(
        "codes",
        lambda password: second_factor.new_recovery_codes(current_user, password),
        _show_codes,
    )


@bp.post("/account/second-factor/off")
def switch_off_second_factor():
    def switched_off(_result):
        flash(_("The second factor is switched off."), "success")
        return redirect_to(url_for("auth.account"))

    return _with_password(
        "off", lambda password: second_factor.switch_off(current_user, password), switched_off
    )

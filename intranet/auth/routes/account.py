"""The own account page: notifications, changing the password, and the language choice."""

from flask import flash, redirect, request, url_for
from flask_login import current_user

from intranet.auth import second_factor, services
from intranet.auth.access import safe_next
from intranet.auth.forms import (
    ConfirmPasswordForm,
    EmptyForm,
    PasswordChangeForm,
    notifications_form,
)
from intranet.auth.passwords import WeakPassword
from intranet.auth.routes.blueprint import _retry_message, bp
from intranet.auth.sessions import start_session
from intranet.core import notifications
from intranet.core.accounts import Account
from intranet.platform.config import LANGUAGES
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _


def _account_page(form=None, status=200, **forms):
    account = current_user._get_current_object()
    factor = second_factor.active_factor(account)
    told_settings = notifications.settings_of(account)
    return render(
        "auth/account.html",
        form=form or PasswordChangeForm(),
        notifications_form=forms.get("notifications_form")
        or notifications_form(account, told_settings),
        only_reviewer=notifications.only_reviewer(account),
        second_factor_on=factor is not None,
        second_factor_since=factor.confirmed_at if factor else None,
        second_factor_required=second_factor.required_for(account),
        recovery_codes_left=second_factor.remaining_recovery_codes(account) if factor else 0,
        codes_form=forms.get("codes_form") or ConfirmPasswordForm(prefix="codes"),
        off_form=forms.get("off_form") or ConfirmPasswordForm(prefix="off"),
        on_form=forms.get("on_form") or ConfirmPasswordForm(prefix="on"),
        status=status,
    )


@bp.get("/account")
def account():
    return _account_page()


@bp.post("/account/notifications")
def save_notifications():
    account = current_user._get_current_object()
    form = notifications_form(account, notifications.settings_of(account))
    if not form.validate_on_submit():
        return _account_page(status=422, notifications_form=form)
    chosen = {topic: getattr(form, topic).data for topic in notifications.TOPICS if topic in form}
    notifications.save(account, chosen, form.digest_hour.data, form.alarm_minutes.data or None)
    flash(_("Your choices for notifications are saved."), "success")
    return redirect_to(url_for("auth.account") + "#notifications")


@bp.post("/account/password")
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if throttled := services.claim_password_check(current_user, request.remote_addr or ""):
            form.current_password.errors.append(_retry_message(throttled, signing_in=False))
            return _account_page(form=form, status=429)
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except WeakPassword as error:
            services.password_check_passed(current_user)  # the current password was right
            form.new_password.errors.append(str(error))
        except services.AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            services.password_check_passed(current_user)
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
    return _account_page(form=form, status=422)


@bp.post("/language")
def language():
    form = EmptyForm()
    chosen = request.form.get("lang")
    if form.validate_on_submit() and chosen in LANGUAGES:
        services.choose_language(current_user if current_user.is_authenticated else None, chosen)
    return redirect(safe_next(request.form.get("next")) or url_for("pages.home"), 303)

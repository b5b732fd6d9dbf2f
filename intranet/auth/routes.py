"""Sign-in (with its second step), sign-out, first set-up, own account and language choice."""

import datetime as dt

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth import saved_forms, second_factor, services
from intranet.auth.access import safe_next, to_login
from intranet.auth.forms import (
    ChoosePasswordForm,
    ConfirmPasswordForm,
    EmptyForm,
    LoginForm,
    PasswordChangeForm,
    SecondFactorSetupForm,
    SecondStepForm,
    SetPasswordForm,
    SetupForm,
    notifications_form,
)
from intranet.auth.models import LinkPurpose
from intranet.auth.passwords import WeakPassword
from intranet.auth.second_factor import SecondFactorError
from intranet.auth.sessions import (
    LOGIN_AT,
    allow_second_factor_setup,
    end_second_factor_setup,
    end_session,
    extend_session,
    pending_sign_in,
    remaining_seconds,
    second_factor_setup_allowed,
    session_expired,
    start_pending,
    start_session,
)
from intranet.core import audit, notifications
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.platform.config import LANGUAGES
from intranet.platform.db import utcnow
from intranet.platform.extensions import login_manager
from intranet.platform.filters import CLOCK
from intranet.platform.htmx import redirect_to, render

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


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        audit.record("logout", target=ref("account", current_user.id))
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
            flash(_("Welcome! Your administrator account is ready."), "success")
            return _continue_sign_in(account, None)
    status = 422 if request.method == "POST" else 200
    return render("auth/setup.html", form=form, status=status)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def password_link(token):
    """An invitation or reset link: the person sets their password, then signs in as after
    the sign-in form (with the second step where the role or the account has one). Opening
    the page spends nothing, so a mail program that looks at links first does no harm."""
    try:
        link = services.find_password_link(token)
    except services.LinkGone as gone:
        return _link_gone(gone)
    account = Account.get_by_id(link.account_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            account = services.use_password_link(token, form.password.data)
        except services.LinkGone as gone:
            return _link_gone(gone)
        except WeakPassword as error:
            form.password.errors.append(str(error))
        else:
            # The message goes into the session that signing in starts afresh.
            response = _continue_sign_in(account, None, method="password link")
            if link.purpose == LinkPurpose.INVITATION:
                flash(_("Welcome! Your password is set."), "success")
            else:
                flash(
                    _("Your new password is set. Other sessions have been signed out."), "success"
                )
            return response
    return render(
        "auth/password_link.html",
        form=form,
        account=account,
        invitation=link.purpose == LinkPurpose.INVITATION,
        status=422 if form.errors else 200,
    )


def _link_gone(gone: services.LinkGone):
    return render("auth/link_gone.html", status=410 if gone.known else 404)


@bp.route("/account/choose-password", methods=["GET", "POST"])
def choose_password():
    if not current_user.must_change_password:
        return redirect_to(url_for("auth.account"))
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            services.choose_own_password(current_user, form.new_password.data)
        except (WeakPassword, services.AccountError) as error:
            form.new_password.errors.append(str(error))
        else:
            start_session(Account.get_by_id(current_user.id))
            flash(_("Thank you, your own password is set."), "success")
            return redirect_to(url_for("pages.home"))
    return render("auth/choose_password.html", form=form, status=422 if form.errors else 200)


def _account_page(form=None, status=200, **forms):
    account = current_user
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
    account = current_user
    form = notifications_form(account, notifications.settings_of(account))
    if not form.validate_on_submit():
        return _account_page(status=422, notifications_form=form)
    chosen = {topic: getattr(form, topic).data for topic in notifications.TOPICS if topic in form}
    notifications.save(account, chosen, form.digest_hour.data, form.alarm_minutes.data or None)
    flash(_("Your choices for notifications are saved."), "success")
    return redirect_to(url_for("auth.account") + "#notifications")


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

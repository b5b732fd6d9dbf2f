"""Getting a password of one's own: the first administrator's set-up address, invitation
and reset links, and replacing a password the administration typed."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from intranet.auth import services
from intranet.auth.forms import ChoosePasswordForm, SetPasswordForm, SetupForm
from intranet.auth.models import LinkPurpose
from intranet.auth.passwords import WeakPassword
from intranet.auth.routes.blueprint import _continue_sign_in, bp
from intranet.auth.sessions import start_session
from intranet.core.accounts import Account
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _


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

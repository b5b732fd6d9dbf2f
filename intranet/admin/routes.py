"""Administration pages; only for the admin role."""

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from peewee import JOIN
from wtforms.fields.choices import SelectChoice

from intranet.admin import audit_log as audit_log_service
from intranet.admin import checklist, services
from intranet.admin.forms import (
    ACCESS_HINTS,
    AccountEditForm,
    AccountForm,
    OrganizationForm,
    PasswordResetForm,
    SiteSettingsForm,
)
from intranet.auth import mail as account_mail
from intranet.auth import second_factor
from intranet.auth import services as account_services
from intranet.auth.access import require_role
from intranet.auth.forms import EmptyForm
from intranet.auth.passwords import WeakPassword
from intranet.core import audit, mail, notifications, outbox, site_settings
from intranet.core.accounts import Account, Organization, Role, organizations_by_name
from intranet.core.pagination import paginate
from intranet.core.query_args import QueryArgs
from intranet.directory.models import Person
from intranet.pages.models import BarrierReport
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import ngettext
from intranet.platform.web import download
from intranet.privacy import services as privacy

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_role(Role.ADMIN))


@bp.get("/")
def index():
    return render(
        "admin/index.html",
        checklist=checklist.steps(),
        account_count=Account.select().count(),
        organization_count=Organization.select().count(),
        report_count=BarrierReport.select().count(),
    )


@bp.get("/accounts")
def accounts():
    query = (
        Account.select(Account, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .order_by(Account.display_name, Account.id)
    )
    return render(
        "admin/accounts.html",
        "admin/_account_list.html",
        page=paginate(query),
    )


def _with_organization_choices(form):
    form.organization.choices = [SelectChoice(0, _("— no organisation —"))] + [
        SelectChoice(org.id, org.name) for org in organizations_by_name()
    ]
    return form


def _account_or_404(account_id: int) -> Account:
    return Account.get_or_none(Account.id == account_id) or abort(404)


@bp.route("/accounts/new", methods=["GET", "POST"])
def new_account():
    form = _with_organization_choices(AccountForm())
    if form.validate_on_submit():
        organization = Organization.get_or_none(Organization.id == form.organization.data)
        typed = form.access_method() == "password"
        try:
            account = account_services.create_account(
                form.email.data,
                form.display_name.data,
                form.role.data,
                form.password.data if typed else None,
                organization,
                must_change_password=True,
            )
        except WeakPassword as error:
            form.password.errors.append(str(error))
        except account_services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            if not typed:
                return _link_page(account)
            flash(
                _(
                    "Account for %(name)s created. They choose their own password at the "
                    "first sign-in.",
                    name=account.display_name,
                ),
                "success",
            )
            return redirect_to(url_for("admin.accounts"))
    return render(
        "admin/account_form.html",
        form=form,
        access_hints=ACCESS_HINTS,
        status=422 if form.errors else 200,
    )


def _link_page(account: Account):
    """The new link, shown this once (only its hash is kept), and mailed where mail is on."""
    issued = account_services.issue_password_link(
        account,
        current_user,
        lambda token: url_for("auth.password_link", token=token, _external=True),
    )
    url = url_for("auth.password_link", token=issued.token, _external=True)
    hours = account_services.PASSWORD_LINK_HOURS[issued.purpose]
    message = account_mail.password_link_text(account, url, issued.purpose, hours)
    return render(
        "admin/account_link.html", account=account, issued=issued, url=url, message=message
    )


@bp.post("/accounts/<id:account_id>/password-link")
def password_link(account_id):
    """A new invitation link (no password yet) or a reset link; the older link stops working."""
    account = _account_or_404(account_id)
    if not EmptyForm().validate_on_submit():
        flash(_("The form had expired. Please send it again."), "error")
        return redirect_to(url_for("admin.edit_account", account_id=account.id))
    return _link_page(account)


@bp.route("/accounts/<id:account_id>/edit", methods=["GET", "POST"])
def edit_account(account_id):
    account = _account_or_404(account_id)
    form = _with_organization_choices(AccountEditForm(obj=account))
    conflict = False
    if request.method != "POST":
        form.organization.data = account.organization_id or 0
        form.fingerprint.data = account_services.fingerprint(account)
    elif form.validate_on_submit():
        organization = Organization.get_or_none(Organization.id == form.organization.data)
        try:
            account_services.update_account(
                account,
                form.fingerprint.data,
                form.email.data,
                form.display_name.data,
                form.role.data,
                organization,
                current_user,
            )
        except account_services.AccountError as error:
            if error.field:
                form[error.field].errors.append(str(error))
            else:
                form.form_errors.append(str(error))
            conflict = isinstance(error, account_services.AccountConflict)
        else:
            flash(_("Account of %(name)s saved.", name=form.display_name.data), "success")
            return redirect_to(url_for("admin.accounts"))
    status = 409 if conflict else 422 if form.errors or form.form_errors else 200
    return _edit_page(account, form, PasswordResetForm(), status)


def _edit_page(account, form, password_form, status=200):
    factor = second_factor.factor_of(account)
    return render(
        "admin/account_edit.html",
        account=account,
        form=form,
        password_form=password_form,
        entry=Person.get_or_none(Person.account == account.id),
        second_factor_on=bool(factor and factor.confirmed_at),
        second_factor_required=second_factor.required_for(account),
        status=status,
    )


@bp.post("/accounts/<id:account_id>/password")
def reset_password(account_id):
    account = _account_or_404(account_id)
    password_form = PasswordResetForm()
    if password_form.validate_on_submit():
        try:
            account_services.reset_password(account, password_form.password.data, current_user)
        except WeakPassword as error:
            password_form.password.errors.append(str(error))
        else:
            flash(
                _(
                    "New password for %(name)s set; their sessions have ended.",
                    name=account.display_name,
                ),
                "success",
            )
            return redirect_to(url_for("admin.accounts"))
    form = _with_organization_choices(AccountEditForm(obj=account, formdata=None))
    form.organization.data = account.organization_id or 0
    form.fingerprint.data = account_services.fingerprint(account)
    return _edit_page(account, form, password_form, status=422)


@bp.post("/accounts/<id:account_id>/second-factor/reset")
def reset_second_factor(account_id):
    account = _account_or_404(account_id)
    if EmptyForm().validate_on_submit():
        try:
            second_factor.reset(account, current_user)
        except second_factor.SecondFactorError as error:
            flash(str(error), "error")
        else:
            flash(
                _(
                    "The second factor of %(name)s was reset; their sessions have ended.",
                    name=account.display_name,
                ),
                "success",
            )
    return redirect_to(url_for("admin.edit_account", account_id=account.id))


@bp.get("/accounts/<id:account_id>/privacy.json")
def account_privacy_export(account_id):
    """Art. 15 for an account without a directory entry (with an entry: the entry's page)."""
    account = _account_or_404(account_id)
    body, name = privacy.access_export_file(None, account=account, viewer=current_user)
    return download(body, name, "application/json")


@bp.post("/accounts/<id:account_id>/erase")
def erase_account(account_id):
    """Art. 17 for an account without a directory entry."""
    account = _account_or_404(account_id)
    if not EmptyForm().validate_on_submit() or request.form.get("confirm") != "yes":
        flash(_("Please confirm the erasure with the checkbox."), "error")
        return redirect_to(url_for("admin.edit_account", account_id=account.id))
    if account.id == current_user.id:
        flash(_("You cannot erase your own account here."), "error")
        return redirect_to(url_for("admin.edit_account", account_id=account.id))
    if Person.select().where(Person.account == account.id).exists():
        abort(404)  # erased together with the entry, on the entry's privacy page
    label = privacy.erase(None, account=account)
    flash(
        _(
            "The account was erased; records that are kept now show “%(label)s”.",
            label=label,
        ),
        "success",
    )
    return redirect_to(url_for("admin.accounts"))


@bp.post("/accounts/<id:account_id>/active")
def toggle_account(account_id):
    account = _account_or_404(account_id)
    if EmptyForm().validate_on_submit():
        if account.id == current_user.id:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            try:
                account_services.set_active(account, not account.active, current_user)
            except account_services.AccountError as error:
                flash(str(error), "error")
                return redirect_to(url_for("admin.accounts"))
            message = (
                _(
                    "%(name)s can no longer sign in; all sessions have ended.",
                    name=account.display_name,
                )
                if account.active
                else _("%(name)s can sign in again.", name=account.display_name)
            )
            flash(message, "success")
    return redirect_to(url_for("admin.accounts"))


@bp.get("/organizations")
def organizations():
    query = Organization.select().order_by(Organization.name)
    return render("admin/organizations.html", page=paginate(query))


@bp.route("/organizations/new", methods=["GET", "POST"])
@bp.route("/organizations/<id:organization_id>/edit", methods=["GET", "POST"])
def edit_organization(organization_id=None):
    organization = None
    if organization_id is not None:
        organization = Organization.get_or_none(Organization.id == organization_id) or abort(404)
    form = OrganizationForm(obj=organization)
    if form.validate_on_submit():
        try:
            saved = services.save_organization(organization, form.data)
        except account_services.AccountError as error:
            form.name.errors.append(str(error))
        else:
            flash(_("Organisation %(name)s saved.", name=saved.name), "success")
            return redirect_to(url_for("admin.organizations"))
    return render(
        "admin/organization_form.html",
        form=form,
        organization=organization,
        status=422 if form.errors else 200,
    )


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = _settings_form()
    if form.validate_on_submit():
        services.save_site_settings(form.data)
        flash(_("Settings saved."), "success")
        return redirect_to(url_for("admin.settings"))
    return _settings_page(form, status=422 if form.errors else 200)


def _settings_form(read_request=True):
    """The settings as saved, overlaid with the submitted ones on a POST if `read_request`."""
    saved = {
        **site_settings.get_all(),
        second_factor.SETTING: sorted(second_factor.required_roles()),
    }
    if read_request:
        return SiteSettingsForm(data=saved)
    return SiteSettingsForm(formdata=None, data=saved)


def _settings_page(form, status=200, mail_test=None):
    return render(
        "admin/settings.html",
        "admin/_mail_test.html",
        form=form,
        status=status,
        mail_enabled=mail.enabled(),
        mail_test=mail_test,
    )


@bp.post("/settings/test-mail")
def test_mail():
    """Sends at once and shows the answer next to the button (a reload only sends again)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = services.send_test_mail(current_user)
    # The settings form shows what is saved, not this request's (button-only) form data.
    return _settings_page(_settings_form(read_request=False), mail_test=result)


@bp.get("/mail")
def mail_outbox():
    """Every mail of the outbox with its delivery state; never a mail's text."""
    state = request.args.get("state")
    state = state if state in outbox.STATES else ""
    page = paginate(outbox.listing(state))
    page.items = outbox.withhold(page.items, current_user)
    return render(
        "admin/mail.html",
        "admin/_mail_list.html",
        page=page,
        mail_address=notifications.learn_address(),
        state=state,
        mail_enabled=mail.enabled(),
        # Mails of a change to many, not yet written one by one: queued, but no rows yet.
        pending=outbox.pending() if state in ("", outbox.QUEUED) else 0,
    )


@bp.post("/mail/retry")
def retry_mail():
    """Send failed mails once more: one (`message`) or every failed one."""
    if EmptyForm().validate_on_submit():
        # Form values are read like query values: a number out of range is no id.
        ids = QueryArgs(request.form).ids("message")
        count = outbox.retry(ids=ids) if ids else outbox.retry(about=None, every=True)
        flash(
            ngettext(
                "%(num)s email will be sent again.", "%(num)s emails will be sent again.", count
            )
        )
    return redirect_to(url_for("admin.mail_outbox", state=request.args.get("state") or None))


@bp.get("/audit")
def audit_log():
    filters = audit_log_service.Filters.from_args(request.args)
    page = paginate(audit_log_service.events(filters, current_user))
    page.items = audit_log_service.rows(page.items, current_user)
    return render(
        "admin/audit.html",
        "admin/_audit_list.html",
        page=page,
        filters=filters,
        actions=audit_log_service.action_choices(),
        organizations=organizations_by_name(),
    )


@bp.get("/audit.csv")
def audit_csv():
    filters = audit_log_service.Filters.from_args(request.args)
    body = audit_log_service.export_csv(filters, current_user)
    query = "&".join(f"{key}={value}" for key, value in filters.args().items())
    audit.record("audit.exported", detail=query)
    return download(body, "audit-protokoll.csv", "text/csv")


@bp.get("/barrier-reports")
def barrier_reports():
    query = BarrierReport.select().order_by(BarrierReport.id.desc())
    return render("admin/barrier_reports.html", page=paginate(query))

"""Start page, accessibility statement, barrier reports and the health check."""

import datetime as dt

from flask import Blueprint, flash, jsonify, request, url_for
from flask_login import current_user

from intranet.auth.access import require_login
from intranet.core import audit, start_page
from intranet.core.ids import ref
from intranet.core.models import AuditEvent
from intranet.pages.forms import BarrierReportForm
from intranet.pages.models import BarrierReport
from intranet.platform.db import db, utcnow, write_transaction
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    refusal = require_login()
    if refusal:
        return refusal
    return render(
        "pages/home.html", panels=start_page.panels_for(current_user._get_current_object())
    )


# The form is public, so one address may send only a few reports an hour.
REPORTS_PER_ADDRESS_AND_HOUR = 5


def _too_many_reports() -> bool:
    since = utcnow() - dt.timedelta(hours=1)
    recent = AuditEvent.select().where(
        (AuditEvent.action == "barrier_report.created")
        & (AuditEvent.address == (request.remote_addr or ""))
        & (AuditEvent.at >= since)
    )
    return recent.count() >= REPORTS_PER_ADDRESS_AND_HOUR


@bp.route("/barrierefreiheit", methods=["GET", "POST"])
def accessibility():
    """Public on purpose: a barrier may be what keeps someone from signing in."""
    form = BarrierReportForm()
    if form.validate_on_submit():
        if _too_many_reports():
            form.message.errors.append(
                _("You have sent several reports within the last hour. Please try again later.")
            )
            return render("pages/accessibility.html", form=form, status=429, user=current_user)
        with write_transaction():
            report = BarrierReport.create(
                page=form.page.data or "",
                message=form.message.data,
                contact=form.contact.data or "",
            )
            audit.record("barrier_report.created", target=ref("barrier_report", report.id))
        flash(_("Thank you. Your report has been sent to the administration."), "success")
        return redirect_to(url_for("pages.accessibility"))
    status = 422 if form.errors else 200
    return render("pages/accessibility.html", form=form, status=status, user=current_user)


@bp.get("/healthz")
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except Exception:  # any database failure means "not ready"; details stay out
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")

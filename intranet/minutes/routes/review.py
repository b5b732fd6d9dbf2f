"""Minutes pages: the workflow steps, comments and objections, read confirmations,
consent and corrections, each from the page of one set of minutes."""

from flask import abort, flash, request, url_for
from flask_login import current_user

from intranet.auth.forms import EmptyForm
from intranet.core.workflow import WorkflowError
from intranet.minutes import access
from intranet.minutes import comments as minutes_comments
from intranet.minutes import signoff as minutes_signoff
from intranet.minutes import workflow as minutes_workflow
from intranet.minutes.forms import ResolveForm, StepForm
from intranet.minutes.models import CommentKind, Minutes
from intranet.minutes.routes.blueprint import bp
from intranet.minutes.routes.page import _comment_form, _show_context
from intranet.platform.htmx import redirect_to, render, wants_fragment
from intranet.platform.i18n import gettext as _
from intranet.platform.i18n import lazy_gettext as _l

# What a step did, in plain words, after it was taken.
STEP_DONE = {
    "submit": _l("The minutes are with the reviewers now."),
    "approve": _l("The minutes are approved and in circulation."),
    "return": _l("The minutes are returned to the authors with your comments."),
    "release": _l("The minutes are released."),
    "withdraw": _l("The minutes are a draft again."),
}


@bp.post("/minutes/<id:minutes_id>/step")
def step(minutes_id):
    context = access.get_minutes_or_404(minutes_id, account=current_user)
    form = StepForm()
    action = request.form.get("action", "")
    if not form.validate_on_submit():
        return render("minutes/show.html", status=422, **_show_context(context, step_form=form))
    comment = form.comment.data or ""
    handlers = {
        "submit": minutes_workflow.submit,
        "approve": minutes_workflow.approve,
        "return": minutes_workflow.return_to_draft,
        "release": minutes_workflow.release,
        "withdraw": minutes_workflow.withdraw,
    }
    handler = handlers.get(action)
    if handler is None:
        abort(400)
    try:
        if action in minutes_workflow.CHECKED_STEPS and not request.form.get("confirmed"):
            # Whom the step reaches, before it is taken; nothing is written yet.
            return render(
                "minutes/check_step.html", "minutes/_check_step.html", target="steps",
                context=context, minutes=context.minutes, meeting=context.meeting,
                preview=minutes_workflow.step_preview(context, current_user, action, comment),
                comment=comment,
            )  # fmt: skip
        handler(context, current_user, comment)
    except WorkflowError as error:
        form.comment.errors = [str(error)]
        form.failed_action = action
        if action not in {t.action for t in access.WORKFLOW.available(current_user, context)}:
            flash(str(error), "error")  # no button to show it beside
        return render("minutes/show.html", status=422, **_show_context(context, step_form=form))
    flash(STEP_DONE[action], "success")
    moved = access.visible_minutes(current_user, "view").where(Minutes.id == minutes_id).exists()
    if not moved:  # e.g. a reviewer who no longer reads the returned draft
        return redirect_to(url_for("minutes.archive"))
    return redirect_to(url_for("minutes.show", minutes_id=minutes_id))


@bp.post("/minutes/<id:minutes_id>/comments")
def comment(minutes_id):
    context = access.get_minutes_or_404(minutes_id, account=current_user)
    if not context.may(current_user, "comment"):
        abort(404)
    form = _comment_form(context, access.sections(context, current_user))
    if form.validate_on_submit():
        try:
            minutes_comments.add_comment(
                context, form.kind.data, form.text.data, current_user, form.section.data
            )
        except (access.MinutesError, WorkflowError) as error:
            target = form.section if getattr(error, "field", None) == "section" else form.text
            target.errors = [str(error)]
        else:
            if form.kind.data == CommentKind.OBJECTION:
                flash(_("Your objection is recorded. The coordination will answer it."), "success")
            else:
                flash(_("Your comment is saved."), "success")
            return redirect_to(url_for("minutes.show", minutes_id=minutes_id) + "#comments")
    return render("minutes/show.html", status=422, **_show_context(context, comment_form=form))


@bp.post("/minutes/<id:minutes_id>/comments/<id:comment_id>/resolve")
def resolve(minutes_id, comment_id):
    context = access.get_minutes_or_404(minutes_id, account=current_user)
    if not context.may(current_user, "resolve"):
        abort(404)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            minutes_comments.resolve_objection(
                context, comment_id, form.resolution.data, current_user
            )
        except WorkflowError as error:  # the minutes moved on meanwhile
            flash(str(error), "error")
            return redirect_to(url_for("minutes.show", minutes_id=minutes_id))
        flash(_("The objection is resolved."), "success")
        return redirect_to(url_for("minutes.show", minutes_id=minutes_id) + "#comments")
    form.comment_id = comment_id
    return render("minutes/show.html", status=422, **_show_context(context, resolve_form=form))


@bp.post("/minutes/<id:minutes_id>/confirm")
def confirm(minutes_id):
    context = access.get_minutes_or_404(minutes_id, account=current_user)
    if not context.may(current_user, "confirm_read") or not EmptyForm().validate_on_submit():
        abort(404)
    minutes_signoff.confirm_read(context, current_user)
    flash(_("Thank you: your reading is confirmed."), "success")
    if request.headers.get("HX-Request") and wants_fragment("read-confirmation"):
        return render(
            "minutes/_read_confirmation.html",
            "minutes/_read_confirmation.html",
            minutes=context.minutes,
            may_confirm=True,
            confirmed=True,
            action_form=EmptyForm(),
        )
    return redirect_to(url_for("minutes.show", minutes_id=minutes_id) + "#read-confirmation")


@bp.post("/minutes/<id:minutes_id>/consent")
def consent(minutes_id):
    context = access.get_minutes_or_404(minutes_id, account=current_user)
    if (
        not minutes_signoff.may_consent(context, current_user)
        or not EmptyForm().validate_on_submit()
    ):
        abort(404)
    try:
        minutes_signoff.consent(context, current_user)
    except WorkflowError as error:  # released meanwhile
        flash(str(error), "error")
    else:
        flash(_("Your organisation's consent is recorded."), "success")
    return redirect_to(url_for("minutes.show", minutes_id=minutes_id) + "#signoff")


@bp.post("/minutes/<id:minutes_id>/correct")
def correct(minutes_id):
    context = access.get_minutes_or_404(minutes_id, account=current_user)
    if not context.may(current_user, "correct") or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        correction = minutes_workflow.start_correction(context, current_user)
    except (access.MinutesError, WorkflowError) as error:
        flash(str(error), "error")
        return redirect_to(url_for("minutes.show", minutes_id=minutes_id))
    flash(_("Correction started as a new draft."), "success")
    return redirect_to(url_for("minutes.edit", minutes_id=correction.id))

"""Minutes pages: starting minutes for a meeting, the page of one set of minutes, comparing
its versions."""

from flask import abort, flash, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth.forms import EmptyForm
from intranet.core.query_args import QueryArgs
from intranet.meetings import access as meetings_access
from intranet.minutes import access, editing, files, numbering
from intranet.minutes import archive as minutes_archive
from intranet.minutes import comments as minutes_comments
from intranet.minutes import signoff as minutes_signoff
from intranet.minutes import versions as minutes_versions
from intranet.minutes import workflow as minutes_workflow
from intranet.minutes.forms import CommentForm, ResolveForm, StepForm
from intranet.minutes.models import CIRCULATING, RELEASED, CommentKind
from intranet.minutes.routes.blueprint import bp
from intranet.platform.db import utcnow
from intranet.platform.htmx import redirect_to, render
from intranet.platform.i18n import gettext as _

# --- Starting ------------------------------------------------------------------------------------


@bp.post("/meetings/<id:meeting_id>/minutes")
def start(meeting_id):
    meeting_context = meetings_access.get_meeting_or_404(meeting_id, account=current_user)
    if not access.can_start(current_user, meeting_context):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        minutes = editing.start_minutes(meeting_context, current_user)
    except access.MinutesError as error:
        flash(str(error), "error")
        return redirect_to(url_for("meetings.show", meeting_id=meeting_id) + "#minutes")
    flash(_("Minutes started. They stay a draft until you submit them for review."), "success")
    return redirect_to(url_for("minutes.edit", minutes_id=minutes.id))


# --- One set of minutes --------------------------------------------------------------------------


def _comment_form(context, sections, form=None):
    form = form or CommentForm()
    form.section.choices = [SelectChoice(0, _("the minutes as a whole"))] + [
        SelectChoice(s.id, s.title) for s in sections
    ]
    return form


def _show_context(context, **overrides):
    minutes = context.minutes
    # The account itself, not Flask-Login's proxy: the rules below read it about a hundred times.
    account = current_user._get_current_object()
    sections = access.sections(context, account)
    # Comments, the sign-off and the read confirmation show only once the minutes circulate.
    circulated = minutes.state in (CIRCULATING, RELEASED)
    every_comment = minutes_comments.every_comment(context) if circulated else []
    comments = minutes_comments.comments(context, account, every_comment)
    signoffs = minutes_signoff.signoffs(context, every_comment) if circulated else []
    events = access.WORKFLOW.history(minutes.id)
    citation = numbering.citation(minutes)
    corrects, corrections = access.original_and_corrections(context, account)
    steps = access.WORKFLOW.available(account, context)
    comment_form = overrides.pop("comment_form", None)
    data = {
        "context": context,
        "minutes": minutes,
        "meeting": context.meeting,
        "sections": sections,
        "section_rows": access.section_rows(context, sections, account),
        "timeline": minutes_workflow.timeline(context, account, events),
        "review_note": minutes_workflow.latest_review_note(context, account, events),
        "versions": minutes_versions.versions(context, account),
        "steps": steps,
        "approval_obstacles": minutes_workflow.approval_obstacles(context, account),
        # Read only by the steps' buttons (a step refused comes back with its own form).
        "step_form": StepForm() if steps else None,
        "comments": comments,
        "comment_form": _comment_form(context, sections, comment_form)
        if context.may(account, "comment")
        else None,
        "resolve_form": ResolveForm() if context.may(account, "resolve") else None,
        "may_confirm": context.may(account, "confirm_read"),
        "confirmed": minutes.state == RELEASED and minutes_signoff.has_confirmed(minutes, account),
        "summary": minutes_signoff.confirmation_summary(context)
        if context.may(account, "confirmations")
        else None,
        "open_objections": [
            c for c in comments if c.kind == CommentKind.OBJECTION and not c.resolved_at
        ],
        "files_owner": files.context_owner(context, account),
        "attachments": files.numbered_files(context, sections, account),
        "decision_numbers": numbering.decision_numbers(minutes, context.decision_ids, citation),
        "signoffs": signoffs,
        "may_consent": minutes_signoff.may_consent(context, account),
        "release_note": minutes_signoff.release_note(context, account, events, comments, signoffs),
        "citation": citation,
        "may_export": context.may(account, "export"),
        "corrects": corrects,
        "corrections": corrections,
        "may_correct": context.may(account, "correct"),
        "early": minutes.objection_deadline is not None and utcnow() < minutes.objection_deadline,
    }
    data.update(overrides)
    return data


@bp.get("/minutes/<id:minutes_id>")
def show(minutes_id):
    account = current_user._get_current_object()
    context = access.get_minutes_or_404(minutes_id, account=account)
    data = _show_context(context)
    access.record_section_reads(context, data["sections"], account)
    if not context.minutes.seen_since_change:
        minutes_archive.mark_seen(context.minutes, account)
    return render("minutes/show.html", **data)


# --- Versions ------------------------------------------------------------------------------------


@bp.get("/minutes/<id:minutes_id>/compare")
def compare(minutes_id):
    context = access.get_minutes_or_404(minutes_id, account=current_user)
    if not context.may(current_user, "compare"):
        abort(404)
    versions = minutes_versions.versions(context, current_user)
    numbers = [v.number for v in versions]
    newest = numbers[0] if numbers else 1
    args = QueryArgs()
    a = args.id("a") or (numbers[1] if len(numbers) > 1 else newest)
    b = args.id("b") or newest
    old = minutes_versions.get_version(context, a, current_user)
    new = minutes_versions.get_version(context, b, current_user)
    return render(
        "minutes/compare.html",
        "minutes/_compare.html",
        context=context,
        minutes=context.minutes,
        versions=versions,
        old=old,
        new=new,
        hunks=minutes_versions.compare(old.body, new.body),
        section_diffs=minutes_versions.compare_sections(context, old, new, current_user),
    )

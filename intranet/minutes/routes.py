"""Minutes pages: archive, one set of minutes, the draft editor, versions, workflow steps,
comments and objections, read confirmations, open action items."""

from dataclasses import dataclass

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth.access import require_login
from intranet.auth.forms import EmptyForm
from intranet.auth.saved_forms import keeps_typed_text, restore_typed_text
from intranet.core import audit, times
from intranet.core.accounts import Organization
from intranet.core.pagination import paginate
from intranet.core.query_args import QueryArgs
from intranet.core.text import render_markdown
from intranet.core.workflow import WorkflowError
from intranet.meetings import access as meetings_access
from intranet.minutes import access, editing, export, files, numbering, rules
from intranet.minutes import actions as minutes_actions
from intranet.minutes import archive as minutes_archive
from intranet.minutes import comments as minutes_comments
from intranet.minutes import signoff as minutes_signoff
from intranet.minutes import versions as minutes_versions
from intranet.minutes import workflow as minutes_workflow
from intranet.minutes.forms import (
    ActionItemForm,
    CarryForm,
    CommentForm,
    DecisionForm,
    GeneralTextForm,
    MinutesForm,
    ResolveForm,
    SectionForm,
    StepForm,
    fit_rows,
)
from intranet.minutes.models import CIRCULATING, RELEASED, ActionItem, Decision, Minutes
from intranet.platform.db import utcnow
from intranet.platform.filters import formatted
from intranet.platform.htmx import flash_at, redirect_to, render, wants_fragment
from intranet.platform.web import download

bp = Blueprint("minutes", __name__)


@bp.before_request
def _login():
    return require_login()


EVENT_LABELS = {
    "start": _l("Minutes started"),
    "submit": _l("Submitted for review"),
    "approve": _l("Approved and circulated"),
    "return": _l("Returned with comments"),
    "resolve": _l("Objection resolved"),
    "withdraw": _l("Taken back into draft"),
    "release": _l("Released"),
    "start_correction": _l("Correction started"),
    "corrected": _l("Correction started"),
}
# What a step did, in plain words, after it was taken.
STEP_DONE = {
    "submit": _l("The minutes are with the reviewers now."),
    "approve": _l("The minutes are approved and in circulation."),
    "return": _l("The minutes are returned to the authors with your comments."),
    "release": _l("The minutes are released."),
    "withdraw": _l("The minutes are a draft again."),
}
STEP_BUTTONS = {
    "submit": _l("Submit for review"),
    "approve": _l("Approve and circulate"),
    "return": _l("Return with comments"),
    "release": _l("Release"),
    "withdraw": _l("Take back into draft"),
}
# The check before a step that reaches every organisation (minutes_workflow.CHECKED_STEPS).
CHECK_TITLES = {
    "approve": _l("Check before circulating"),
    "release": _l("Check before releasing"),
}
CONFIRM_BUTTONS = {
    "approve": _l("Approve and circulate now"),
    "release": _l("Release now"),
}


bp.add_app_template_global(numbering.document_title, "document_title")


@bp.app_context_processor
def _labels():
    return {
        "MINUTES_STATE_LABELS": rules.STATE_LABELS,
        "describe_decision_result": editing.describe_result,
        "EVENT_LABELS": EVENT_LABELS,
        "STEP_BUTTONS": STEP_BUTTONS,
        "CHECKED_STEPS": minutes_workflow.CHECKED_STEPS,
        "CHECK_TITLES": CHECK_TITLES,
        "CONFIRM_BUTTONS": CONFIRM_BUTTONS,
    }


@bp.app_template_global()
def meeting_minutes(meeting_context):
    """For the meeting page: the minutes the viewer may see, and whether they may start them."""
    items = access.current_for_meeting(meeting_context.meeting.id, current_user)
    may_start = access.can_start(current_user, meeting_context) and not access.has_minutes(
        meeting_context.meeting.id
    )
    return {"items": items, "may_start": may_start}


# --- Archive -------------------------------------------------------------------------------------


@bp.get("/minutes")
def archive():
    args = QueryArgs()
    year, organization_id = args.year("year"), args.id("organization")
    page = paginate(minutes_archive.archive(current_user, year, organization_id), per_page=25)
    return render(
        "minutes/archive.html",
        "minutes/_archive_list.html",
        page=page,
        year=year,
        organization_id=organization_id,
        years=minutes_archive.archive_years(current_user),
        organizations=_organization_filter(),
        is_new=minutes_archive.is_new,
    )


def _register_filters():
    args = QueryArgs()
    return {
        "words": request.args.get("q", "")[:200],
        "year": args.year("year"),
        "organization_id": args.id("organization"),
    }


@bp.get("/decisions")
def decisions():
    """The register of released decisions the account may read, to find and cite them."""
    filters = _register_filters()
    page = paginate(minutes_archive.decision_register(current_user, **filters), per_page=25)
    return render(
        "minutes/decisions.html",
        "minutes/_decision_list.html",
        page=page,
        numbers=minutes_archive.register_numbers(page.items),
        years=minutes_archive.archive_years(current_user),
        organizations=_organization_filter(),
        **filters,
    )


@bp.get("/decisions.csv")
def decisions_csv():
    filters = _register_filters()
    decisions = list(minutes_archive.decision_register(current_user, **filters).limit(5000))
    body = minutes_archive.decisions_csv(current_user, decisions)
    audit.record("minutes.decisions_exported", detail=str(len(decisions)), actor=current_user)
    return download(body, "beschluesse.csv", "text/csv")


def format_meeting_date(value) -> str:
    return formatted("date", times.to_local(value).date(), "medium")


def _choice(name, allowed):
    value = request.args.get(name, "")
    return value if value in allowed else allowed[0]


@bp.get("/minutes/actions")
def actions():
    scope = _choice("scope", minutes_actions.ACTION_SCOPES)
    state = _choice("state", minutes_actions.ACTION_FILTERS)
    page = paginate(minutes_actions.action_items(current_user, scope, state), per_page=25)
    return render(
        "minutes/actions.html",
        "minutes/_action_list.html",
        page=page,
        scope=scope,
        state=state,
        may_track=rules.role_may(current_user.role, "track"),
        is_overdue=minutes_actions.is_overdue,
        strictest_label=minutes_actions.strictest_label,
        form=EmptyForm(),
    )


@bp.route("/minutes/actions/<id:item_id>/carry", methods=["GET", "POST"])
def carry(item_id):
    """Choose the meeting to carry an action item into (the next of its series suggested);
    without a choice the next one is taken, as the button on the list does."""
    item = minutes_actions.open_action_items(current_user).where(ActionItem.id == item_id).first()
    context = access.get_minutes_or_404(item.section.minutes_id) if item else abort(404)
    if not context.may(current_user, "track"):
        abort(404)
    form = CarryForm()
    targets = minutes_actions.carry_targets(item, current_user)
    form.meeting.choices = [
        SelectChoice(m.id, f"{m.title} – {format_meeting_date(m.start)}") for m in targets
    ]
    if request.method == "GET":
        suggested = minutes_actions.next_meeting(context.meeting)
        form.meeting.data = suggested.id if suggested else None
        return render("minutes/carry.html", item=item, form=form, targets=targets)
    if not form.validate_on_submit():
        abort(400)
    try:
        agenda_item = minutes_actions.carry_forward(item_id, current_user, form.meeting.data)
    except access.MinutesError as error:
        if error.field == "meeting" and targets:
            form.meeting.errors = [str(error)]
            return render("minutes/carry.html", status=422, item=item, form=form, targets=targets)
        flash(str(error), "error")
        return redirect_to(url_for("minutes.actions"))
    meeting = agenda_item.meeting
    flash(
        _(
            "The action item is on the agenda of %(meeting)s on %(date)s.",
            meeting=meeting.title,
            date=format_meeting_date(meeting.start),
        ),
        "success",
    )
    return redirect_to(url_for("meetings.show", meeting_id=agenda_item.meeting_id) + "#agenda")


@bp.post("/minutes/actions/<id:item_id>/state")
def action_state(item_id):
    item = minutes_actions.open_action_items(current_user).where(ActionItem.id == item_id).first()
    item = item or abort(404)
    context = access.get_minutes_or_404(item.section.minutes_id)
    if not (EmptyForm().validate_on_submit() and context.may(current_user, "track")):
        abort(404)
    minutes_actions.set_action_state(context, item, "done", current_user)
    flash(_("Action item marked as done."), "success")
    return redirect_to(url_for("minutes.actions"))


# --- Starting ------------------------------------------------------------------------------------


@bp.post("/meetings/<id:meeting_id>/minutes")
def start(meeting_id):
    meeting_context = meetings_access.get_meeting_or_404(meeting_id)
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
    account = current_user
    comments = minutes_comments.comments(context, account)
    sections = access.sections(context, account)
    comment_form = overrides.pop("comment_form", None)
    data = {
        "context": context,
        "minutes": minutes,
        "meeting": context.meeting,
        "sections": sections,
        "section_rows": access.section_rows(context, sections, account),
        "timeline": minutes_workflow.timeline(context, account),
        "review_note": minutes_workflow.latest_review_note(context, account),
        "versions": minutes_versions.versions(context, account),
        "steps": access.WORKFLOW.available(account, context),
        "approval_obstacles": minutes_workflow.approval_obstacles(context, account),
        "step_form": StepForm(),
        "comments": comments,
        "comment_form": _comment_form(context, sections, comment_form)
        if context.may(account, "comment")
        else None,
        "resolve_form": ResolveForm() if context.may(account, "resolve") else None,
        "may_confirm": context.may(account, "confirm_read"),
        "confirmed": minutes_signoff.has_confirmed(minutes, account),
        "summary": minutes_signoff.confirmation_summary(context)
        if context.may(account, "confirmations")
        else None,
        "open_objections": [c for c in comments if c.kind == "objection" and not c.resolved_at],
        "files_owner": files.context_owner(context, account),
        "attachments": files.numbered_files(context, sections, account),
        "decision_numbers": numbering.decision_numbers(minutes),
        "signoffs": minutes_signoff.signoffs(context)
        if minutes.state in (CIRCULATING, RELEASED)
        else [],
        "may_consent": minutes_signoff.may_consent(context, account),
        "release_note": minutes_signoff.release_note(context, account),
        "citation": numbering.citation(minutes),
        "may_export": context.may(account, "export"),
        "corrects": _visible(minutes.corrects_id),
        "corrections": [
            m
            for m in access.current_for_meeting(minutes.meeting_id, account)
            if m.corrects_id == minutes.id
        ],
        "may_correct": context.may(account, "correct"),
        "early": minutes.objection_deadline is not None and utcnow() < minutes.objection_deadline,
        "action_form": EmptyForm(),
    }
    data.update(overrides)
    return data


def _visible(minutes_id):
    if not minutes_id:
        return None
    return access.visible_minutes(current_user, "view").where(Minutes.id == minutes_id).first()


@bp.get("/minutes/<id:minutes_id>")
def show(minutes_id):
    context = access.get_minutes_or_404(minutes_id)
    data = _show_context(context)
    access.record_section_reads(context, data["sections"], current_user)
    minutes_archive.mark_seen(context.minutes, current_user)
    return render("minutes/show.html", **data)


@bp.post("/minutes/<id:minutes_id>/step")
def step(minutes_id):
    context = access.get_minutes_or_404(minutes_id)
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
    context = access.get_minutes_or_404(minutes_id)
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
            if form.kind.data == "objection":
                flash(_("Your objection is recorded. The coordination will answer it."), "success")
            else:
                flash(_("Your comment is saved."), "success")
            return redirect_to(url_for("minutes.show", minutes_id=minutes_id) + "#comments")
    return render("minutes/show.html", status=422, **_show_context(context, comment_form=form))


@bp.post("/minutes/<id:minutes_id>/comments/<id:comment_id>/resolve")
def resolve(minutes_id, comment_id):
    context = access.get_minutes_or_404(minutes_id)
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
    context = access.get_minutes_or_404(minutes_id)
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
    context = access.get_minutes_or_404(minutes_id)
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
    context = access.get_minutes_or_404(minutes_id)
    if not context.may(current_user, "correct") or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        correction = minutes_workflow.start_correction(context, current_user)
    except (access.MinutesError, WorkflowError) as error:
        flash(str(error), "error")
        return redirect_to(url_for("minutes.show", minutes_id=minutes_id))
    flash(_("Correction started as a new draft."), "success")
    return redirect_to(url_for("minutes.edit", minutes_id=correction.id))


# --- Versions ------------------------------------------------------------------------------------


@bp.get("/minutes/<id:minutes_id>/compare")
def compare(minutes_id):
    context = access.get_minutes_or_404(minutes_id)
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


@bp.post("/minutes/<id:minutes_id>/versions/<id:number>/restore")
def restore(minutes_id, number):
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        version = int(request.form.get("version", "0"))
    except ValueError:
        version = 0
    try:
        editing.restore_version(context, number, version, current_user)
    except access.Conflict as error:
        flash(str(error), "error")
    else:
        flash(_("Version %(n)s restored as a new version.", n=number), "success")
    return redirect_to(url_for("minutes.edit", minutes_id=minutes_id))


# --- Editing the draft ---------------------------------------------------------------------------


def _organization_filter():
    """(id, name) of every organisation, for the archive's and the register's filters."""
    return [(o.id, o.name) for o in Organization.select().order_by(Organization.name)]


def _organization_choices():
    return [SelectChoice(0, _("— none —"))] + [
        SelectChoice(o.id, o.name) for o in Organization.select().order_by(Organization.name)
    ]


def _section_form(section=None, choices=None, posted=True):
    """The form of a new section, or of `section` in the editor, named after it so that every
    agenda item on the page has its own fields. Unless `posted`, it shows the saved item."""
    prefix = f"top{section.id}" if section is not None else "section"
    form = SectionForm(prefix=prefix) if posted else SectionForm(formdata=None, prefix=prefix)
    form.organization.choices = choices or _organization_choices()
    if section is not None and not posted:
        form.title.data = section.title
        form.text.data = section.text
        form.label.data = section.label
        form.organization.data = section.organization_id or 0
        form.version.data = str(section.version)
    fit_rows(form.text)
    return form


@dataclass
class ItemEditor:
    """One agenda item in the editor: the section (with its entries) and its three forms."""

    section: object
    form: SectionForm
    decision_form: DecisionForm
    action_item_form: ActionItemForm
    conflict: dict | None = None


def _item(section, choices=None, posted=""):
    """`posted` names the form that came back ("text", "decision", "task"): it keeps what was
    sent; the others show the saved item and empty fields for the next entry."""

    def new(form_class, prefix, name):
        return (
            form_class(prefix=prefix)
            if posted == name
            else form_class(formdata=None, prefix=prefix)
        )

    item = ItemEditor(
        section,
        _section_form(section, choices, posted == "text"),
        new(DecisionForm, f"decision{section.id}", "decision"),
        new(ActionItemForm, f"task{section.id}", "task"),
    )
    fit_rows(item.decision_form.text, minimum=2)
    fit_rows(item.action_item_form.text, minimum=2)
    return item


@dataclass
class GeneralPart:
    """The general text of minutes with agenda items, as a part of its own in the editor."""

    form: GeneralTextForm
    conflict: dict | None = None


def _general_form(body, version, posted=False):
    """The form of the general part: what was sent (`posted`), else `body` at `version`."""
    form = GeneralTextForm() if posted else GeneralTextForm(formdata=None)
    if not posted:
        form.body.data = body
        form.version.data = str(version)
    fit_rows(form.body, minimum=8)
    return form


def _edit_context(context, form, **extra):
    sections = access.sections(context, current_user)
    # With agenda items the general text is a part of its own, before them; without, it is
    # the one text of the minutes and stays in the record form.
    general = extra.pop("general", None)
    if sections and general is None:
        general = GeneralPart(_general_form(context.minutes.body, context.minutes.version))
    choices = _organization_choices()
    posted = extra.pop("item", None)
    items = [
        posted if posted is not None and posted.section.id == s.id else _item(s, choices)
        for s in sections
    ]
    return {
        "context": context,
        "minutes": context.minutes,
        "meeting": context.meeting,
        "form": form,
        "sections": sections,
        "items": items,
        "attachments": files.numbered_files(context, sections, current_user),
        "decision_numbers": numbering.decision_numbers(context.minutes),
        "general": general if sections else None,
        "section_form": extra.pop("section_form", None) or _section_form(choices=choices),
        "preview": extra.pop("preview", None),
        "conflict": extra.pop("conflict", None),
        "versions": minutes_versions.versions(context, current_user),
        "review_note": minutes_workflow.latest_review_note(context, current_user),
        "names_in_text": editing.names_in_text(context) if context.minutes.chatham_house else [],
        "action_form": EmptyForm(),
        **extra,
    }


@bp.route("/minutes/<id:minutes_id>/edit", methods=["GET", "POST"])
@keeps_typed_text
def edit(minutes_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    minutes = context.minutes
    form = MinutesForm()
    if request.method == "GET":
        form = _filled_minutes_form(minutes)
        general = None
        if restore_typed_text(form) and form.body.data is not None:
            # Text kept from the general part (it sends the editor's own names) goes back there.
            general = GeneralPart(_general_form(form.body.data, form.version.data))
        return render("minutes/edit.html", **_edit_context(context, form, general=general))
    if not form.validate_on_submit():
        return render(
            "minutes/edit.html",
            status=422,
            **_edit_context(context, form, general=_sent_general(form)),
        )
    if "preview" in request.form:  # without JavaScript: show the preview, save nothing
        preview = render_markdown(form.body.data)
        return render(
            "minutes/edit.html",
            **_edit_context(context, form, general=_sent_general(form), preview=preview),
        )
    version = _sent_version(form)
    # With agenda items the general text is saved on its own (general): the record form
    # leaves it as it is.
    body = form.body.data if "body" in request.form else minutes.body
    try:
        record = editing.RecordData(
            form.chair.data, form.minute_taker.data, form.actual_start.data, form.actual_end.data
        )
        saved = editing.save_draft(
            context, body, form.label.data, form.chatham_house.data, version,
            current_user, confirm_wider=form.confirm_wider.data, record=record,
        )  # fmt: skip
    except access.Conflict as error:
        # Their text stays in the form; the difference to what is saved is shown, and the
        # form now builds on the current version, so saving again is a deliberate choice.
        form.version.data = str(error.current.version)
        conflict = {
            "message": str(error),
            "hunks": minutes_versions.compare(error.current.body, body),
        }
        return render(
            "minutes/edit.html",
            status=409,
            **_edit_context(context, form, general=_sent_general(form), conflict=conflict),
        )
    except access.MinutesError as error:
        target = getattr(form, error.field or "", None)
        if target is not None:
            target.errors = [*target.errors, str(error)]
        form.ask_wider = editing.widens(context.minutes.label, form.label.data)
        return render(
            "minutes/edit.html",
            status=422,
            **_edit_context(context, form, general=_sent_general(form)),
        )
    except WorkflowError as error:  # submitted by someone else meanwhile
        flash(str(error), "error")
        return redirect_to(url_for("minutes.show", minutes_id=minutes_id))
    flash(_("Minutes saved (version %(n)s).", n=saved.text_version), "success")
    if not access.visible_minutes(current_user, "view").where(Minutes.id == minutes_id).exists():
        return redirect_to(url_for("minutes.archive"))
    return redirect_to(url_for("minutes.edit", minutes_id=minutes_id))


def _sent_version(form) -> int:
    """The version a form showed (0, never a match, when it was tampered with)."""
    try:
        return int(form.version.data or 0)
    except ValueError:
        return 0


def _sent_general(form):
    """The general part as the record form sent it (a page from before the part was separate,
    or one without agenda items when they were added meanwhile), else None (the saved one)."""
    if "body" not in request.form:
        return None
    general = GeneralPart(_general_form(form.body.data, form.version.data))
    general.form.body.errors = list(form.body.errors)
    return general


@bp.post("/minutes/<id:minutes_id>/preview")
@keeps_typed_text(page="minutes.edit")  # the live preview sends the whole editor
def preview(minutes_id):
    access.get_minutes_or_404(minutes_id, for_edit=True)
    form = MinutesForm()
    if not request.headers.get("HX-Request"):
        return redirect_to(url_for("minutes.edit", minutes_id=minutes_id))
    return render(
        "minutes/_preview.html", "minutes/_preview.html", preview=render_markdown(form.body.data)
    )


# --- Agenda items: text, decisions, action items, each saved in place ---------------------------


@bp.post("/minutes/<id:minutes_id>/sections")
def add_section(minutes_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    form = _section_form()
    if form.validate_on_submit():
        try:
            section = editing.save_section(
                context, current_user, form.title.data, form.text.data, form.label.data,
                form.organization.data,
            )  # fmt: skip
        except access.MinutesError as error:
            form.label.errors = [str(error)]
        else:
            flash(_("Section added."), "success")
            return redirect_to(_item_address(minutes_id, section.id))
    data = _edit_context(context, _filled_minutes_form(context.minutes), section_form=form)
    return render("minutes/edit.html", status=422, **data)


def _filled_minutes_form(minutes):
    form = MinutesForm(formdata=None)
    form.body.data = minutes.body
    form.label.data = minutes.label
    form.chatham_house.data = minutes.chatham_house
    form.version.data = str(minutes.version)
    fit_rows(form.body, minimum=8)
    form.chair.data = minutes.chair
    form.minute_taker.data = minutes.minute_taker
    for name in ("actual_start", "actual_end"):
        value = getattr(minutes, name)
        getattr(form, name).data = times.to_local(value).time() if value else None
    return form


@bp.post("/minutes/<id:minutes_id>/general")
@keeps_typed_text(page="minutes.edit")
def general(minutes_id):
    """Save the general part of minutes with agenda items in place, as an item's text is; the
    minutes' version finds a save by someone else in between (never an overwrite)."""
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    minutes = context.minutes
    form = _general_form(None, None, posted=True)
    if form.validate_on_submit() and "preview" in request.form:  # without JavaScript
        data = _edit_context(
            context, _filled_minutes_form(minutes), general=GeneralPart(form),
            preview=render_markdown(form.body.data),
        )  # fmt: skip
        return render("minutes/edit.html", **data)
    if form.validate_on_submit():
        version = _sent_version(form)
        try:
            editing.save_draft(
                context, form.body.data, minutes.label, minutes.chatham_house, version,
                current_user,
            )  # fmt: skip
        except access.Conflict as error:
            form.version.data = str(error.current.version)
            conflict = {
                "message": str(error),
                "hunks": minutes_versions.compare(error.current.body, form.body.data or ""),
            }
            return _general_answer(context, GeneralPart(form, conflict), 409)
        except access.MinutesError as error:  # the saved label no longer fits the meeting
            form.body.errors = [*form.body.errors, str(error)]
        except WorkflowError as error:  # submitted by someone else meanwhile
            flash(str(error), "error")
            return redirect_to(url_for("minutes.show", minutes_id=minutes_id))
        else:
            saved = Minutes.get_by_id(minutes_id)
            fresh = GeneralPart(_general_form(saved.body, saved.version))
            return _general_answer(context, fresh, saved=_saved_at(), minutes=saved)
    return _general_answer(context, GeneralPart(form), 422)


def _general_answer(context, part, status=200, saved=None, minutes=None):
    """As `_item_answer`: with htmx the general part (and, after a save, the record form's and
    the versions' new version); without, the whole editor, at the general part."""
    if wants_fragment("general-text"):
        fragment = "minutes/_general_text.html"
        return render(
            fragment, fragment, status, target="general-text", general=part, saved=saved,
            minutes=minutes or context.minutes,
            versions=minutes_versions.versions(context, current_user) if saved else [],
        )  # fmt: skip
    if saved is not None:
        flash_at("general", saved)
        return redirect_to(url_for("minutes.edit", minutes_id=context.minutes.id) + "#general")
    data = _edit_context(context, _filled_minutes_form(context.minutes), general=part)
    return render("minutes/edit.html", status=status, **data)


def _item_address(minutes_id, section_id):
    return url_for("minutes.edit", minutes_id=minutes_id) + f"#top-{section_id}"


def _item_answer(context, item, part, status=200, saved=None):
    """The answer to a form of one agenda item: with htmx only the part that was sent
    (`part`: "text" or "entries") and the status line; without, the whole editor, at the item."""
    target = f"top-{item.section.id}-{part}"
    if wants_fragment(target):
        fragment = f"minutes/_item_{part}.html"
        return render(
            fragment, fragment, status, target=target, item=item, saved=saved,
            context=context, minutes=context.minutes,
            decision_numbers=numbering.decision_numbers(context.minutes),
        )  # fmt: skip
    if saved is not None:
        flash_at(f"top-{item.section.id}", saved)
        return redirect_to(_item_address(context.minutes.id, item.section.id))
    data = _edit_context(context, _filled_minutes_form(context.minutes), item=item)
    return render("minutes/edit.html", status=status, **data)


def _saved(context, section, part, message):
    fresh = section_with_entries(context, section)
    return _item_answer(context, _item(fresh), part, saved=message)


def _saved_at():
    return _("Saved at %(time)s.", time=f"{times.to_local(utcnow()):%H:%M}")


@bp.route("/minutes/<id:minutes_id>/sections/<id:section_id>", methods=["GET", "POST"])
@keeps_typed_text
def section(minutes_id, section_id):
    """One agenda item on its own (where a form comes back after the sign-in had ended); its
    form is the one of the editor, and a save answers as the editor does."""
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    section = access.get_section_or_404(context, section_id, current_user)
    if request.method == "GET":
        item = _item(section_with_entries(context, section))
        restore_typed_text(item.form)
        return render(
            "minutes/section.html", context=context, minutes=context.minutes, item=item,
            decision_numbers=numbering.decision_numbers(context.minutes),
            attachments=files.numbered_files(context, [item.section], current_user),
        )  # fmt: skip
    item = _item(section_with_entries(context, section), posted="text")
    form = item.form
    if form.validate_on_submit():
        version = _sent_version(form)
        try:
            editing.save_section(
                context, current_user, form.title.data, form.text.data, form.label.data,
                form.organization.data, section=section, version=version,
            )  # fmt: skip
        except access.Conflict as error:
            # As for the whole text: theirs stays in the form, the difference is shown, and
            # the form now builds on the saved item, so saving again is a deliberate choice.
            form.version.data = str(error.current.version)
            item.conflict = {
                "message": str(error),
                "hunks": minutes_versions.compare(error.current.text, form.text.data or ""),
            }
            return _item_answer(context, item, "text", 409)
        except access.MinutesError as error:
            form.label.errors = [str(error)]
        else:
            return _saved(context, section, "text", _saved_at())
    return _item_answer(context, item, "text", 422)


@bp.post("/minutes/<id:minutes_id>/sections/<id:section_id>/delete")
def delete_section(minutes_id, section_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    section = access.get_section_or_404(context, section_id, current_user)
    if EmptyForm().validate_on_submit():
        try:
            editing.delete_section(context, section, current_user)
        except access.MinutesError as error:
            flash(str(error), "error")
        else:
            flash(_("Section removed."), "success")
    return redirect_to(url_for("minutes.edit", minutes_id=minutes_id) + "#sections")


@bp.post("/minutes/<id:minutes_id>/sections/<id:section_id>/decisions")
def add_decision(minutes_id, section_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    section = access.get_section_or_404(context, section_id, current_user)
    item = _item(section_with_entries(context, section), posted="decision")
    form = item.decision_form
    if form.validate_on_submit():
        try:
            editing.add_decision(context, section, _decision_data(form), current_user)
        except access.MinutesError as error:
            form.result.errors = [str(error)]
        else:
            return _saved(context, section, "entries", _("Decision added."))
    return _item_answer(context, item, "entries", 422)


def _decision_data(form) -> editing.DecisionData:
    return editing.DecisionData(
        form.text.data, form.result.data or "", form.votes_yes.data, form.votes_no.data,
        form.votes_abstained.data,
    )  # fmt: skip


@bp.route(
    "/minutes/<id:minutes_id>/sections/<id:section_id>/<kind>/<id:entry_id>/edit",
    methods=["GET", "POST"],
)
def edit_entry(minutes_id, section_id, kind, entry_id):
    """A decision of a draft, changed in place (its text, result and counts)."""
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    section = access.get_section_or_404(context, section_id, current_user)
    decision = kind == "decisions" and next(
        (d for d in section_with_entries(context, section).decision_list if d.id == entry_id), None
    )
    if not decision:
        abort(404)
    form = DecisionForm(prefix="decision", obj=decision if request.method == "GET" else None)
    if form.validate_on_submit():
        editing.update_decision(context, section, entry_id, _decision_data(form), current_user)
        flash_at(f"top-{section_id}", _("Decision saved."))
        return redirect_to(_item_address(minutes_id, section_id))
    return render(
        "minutes/decision.html",
        status=422 if request.method == "POST" else 200,
        context=context,
        minutes=context.minutes,
        section=section,
        decision=decision,
        form=form,
    )


def section_with_entries(context, section):
    return next(s for s in access.sections(context, current_user) if s.id == section.id)


@bp.post("/minutes/<id:minutes_id>/sections/<id:section_id>/tasks")
def add_action_item(minutes_id, section_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    section = access.get_section_or_404(context, section_id, current_user)
    item = _item(section_with_entries(context, section), posted="task")
    form = item.action_item_form
    if not form.validate_on_submit():
        return _item_answer(context, item, "entries", 422)
    editing.add_action_item(
        context, section, form.text.data, form.responsible.data, form.due_on.data, current_user
    )
    return _saved(context, section, "entries", _("Action item added."))


@bp.post("/minutes/<id:minutes_id>/sections/<id:section_id>/<kind>/<id:entry_id>/delete")
def delete_entry(minutes_id, section_id, kind, entry_id):
    context = access.get_minutes_or_404(minutes_id, for_edit=True)
    section = access.get_section_or_404(context, section_id, current_user)
    model = {"decisions": Decision, "tasks": ActionItem}.get(kind) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    editing.delete_entry(context, section, model, entry_id, current_user)
    return _saved(context, section, "entries", _("Entry removed."))


# --- Export: print view and PDF -----------------------------------------------------------------


@bp.get("/minutes/<id:minutes_id>/print")
def print_view(minutes_id):
    # The read is written only if the export's own checks let the minutes out (else a 404).
    context = access.get_minutes_or_404(minutes_id)
    return export.html(export.prepare(context, current_user))


@bp.get("/minutes/<id:minutes_id>.pdf")
def pdf(minutes_id):
    # The export writes its own entry (minutes.exported); a second one for the view adds nothing.
    context = access.get_minutes_or_404(minutes_id, record_view=False)
    document = export.prepare(context, current_user)
    body = export.pdf(document)
    return download(body, export.file_name(context.minutes), "application/pdf")

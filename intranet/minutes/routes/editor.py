"""Minutes pages: the draft editor, its record form and general text, the live preview,
restoring a version; the forms the agenda items' routes (sections) share with it."""

from dataclasses import dataclass

from flask import abort, flash, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet.auth.forms import EmptyForm
from intranet.auth.saved_forms import keeps_typed_text, restore_typed_text
from intranet.core import times
from intranet.core.accounts import organizations_by_name
from intranet.core.text import render_markdown
from intranet.core.workflow import WorkflowError
from intranet.minutes import access, editing, files, numbering
from intranet.minutes import versions as minutes_versions
from intranet.minutes import workflow as minutes_workflow
from intranet.minutes.forms import (
    ActionItemForm,
    DecisionForm,
    GeneralTextForm,
    MinutesForm,
    SectionForm,
    fit_rows,
)
from intranet.minutes.models import Minutes
from intranet.minutes.routes.blueprint import bp
from intranet.platform.db import utcnow
from intranet.platform.htmx import flash_at, redirect_to, render, wants_fragment
from intranet.platform.i18n import gettext as _

# --- Editing the draft ---------------------------------------------------------------------------


def _organization_choices():
    return [SelectChoice(0, _("— none —"))] + [
        SelectChoice(o.id, o.name) for o in organizations_by_name()
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
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
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
    access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
    form = MinutesForm()
    if not request.headers.get("HX-Request"):
        return redirect_to(url_for("minutes.edit", minutes_id=minutes_id))
    return render(
        "minutes/_preview.html", "minutes/_preview.html", preview=render_markdown(form.body.data)
    )


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
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
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


def _saved_at():
    return _("Saved at %(time)s.", time=f"{times.to_local(utcnow()):%H:%M}")


@bp.post("/minutes/<id:minutes_id>/versions/<id:number>/restore")
def restore(minutes_id, number):
    context = access.get_minutes_or_404(minutes_id, for_edit=True, account=current_user)
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

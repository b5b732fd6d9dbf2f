"""Minutes through their services: starting, versions and conflicts, the workflow with its
refusals, objections, release with checksum, corrections, read confirmations, erasure."""

import datetime as dt
import hashlib
import threading

import pytest

from intranet.core.areas import registry
from intranet.core.models import AuditEvent, WorkflowEvent
from intranet.core.workflow import WorkflowError
from intranet.meetings.models import AgendaItem, Attendance
from intranet.minutes import access, comments, editing, privacy, signoff
from intranet.minutes import actions as minutes_actions
from intranet.minutes import versions as minutes_versions
from intranet.minutes import workflow as minutes_workflow
from intranet.minutes.models import (
    ActionItem,
    Decision,
    Minutes,
    MinutesComment,
    MinutesSection,
    MinutesVersion,
    ReadConfirmation,
)
from intranet.platform.db import db, utcnow
from intranet.platform.errors import NotFound
from tests import factories


@pytest.fixture
def held(app, org, other_org):
    """A held meeting of `org` with `other_org` invited, two agenda items and attendance."""
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=2)
    meeting = factories.meeting(
        "Plenum", organization=org, invited=[other_org], start=start, state="held"
    )
    AgendaItem.create(meeting=meeting, position=1, title="Lagebild")
    AgendaItem.create(
        meeting=meeting, position=2, title="Fallbesprechung", label="amber", organization=org
    )
    Attendance.create(meeting=meeting, organization=org, status="present", names="A. Beispiel")
    Attendance.create(meeting=meeting, organization=other_org, status="excused")
    return meeting


def ctx(minutes_or_id, account):
    minutes_id = getattr(minutes_or_id, "id", minutes_or_id)
    return access.get_minutes_or_404(minutes_id, account=account)


def started(held, coordinator):
    from intranet.meetings.access import load_context

    return editing.start_minutes(load_context(held), coordinator)


def to_circulating(minutes, coordinator, reviewer):
    minutes_workflow.submit(ctx(minutes, coordinator), coordinator)
    minutes_workflow.approve(ctx(minutes, reviewer), reviewer)
    return Minutes.get_by_id(minutes.id)


# --- Starting ---------------------------------------------------------------------------------------


def test_start_makes_a_section_per_agenda_item_and_no_second_agenda_in_the_text(held, coordinator):
    minutes = started(held, coordinator)
    assert minutes.state == "draft" and minutes.label == "green"
    # The attendance is listed once, by the export from the attendance record, and never as
    # names in the text (which the Chatham House Rule could not take out again).
    assert "A. Beispiel" not in minutes.body and "entschuldigt" not in minutes.body
    # Each item is a section: the text does not list the agenda a second time.
    assert minutes.body == ""
    sections = list(MinutesSection.select().order_by(MinutesSection.position))
    assert [(s.title, s.label) for s in sections] == [
        ("TOP 1: Lagebild", "green"),
        ("TOP 2: Fallbesprechung", "amber"),
    ]
    assert MinutesVersion.select().where(MinutesVersion.minutes == minutes.id).count() == 1
    with pytest.raises(access.MinutesError):
        started(held, coordinator)  # one set of minutes per meeting


def test_sections_and_text_keep_the_agenda_numbers_of_items_hidden_from_the_author(
    held, coordinator, org
):
    """Minutes started by someone who cannot see an item number the rest as the meeting page
    does; the hidden item leaves no word behind."""
    from intranet.meetings.models import MeetingPerson

    MeetingPerson.create(meeting=held, account=factories.account("member", org))
    AgendaItem.update(position=AgendaItem.position + 1).execute()
    AgendaItem.create(meeting=held, position=1, title="Geheimwort", label="red")
    minutes = started(held, coordinator)
    assert "Geheimwort" not in minutes.body
    sections = list(MinutesSection.select().order_by(MinutesSection.position))
    assert [s.title for s in sections] == ["TOP 2: Lagebild", "TOP 3: Fallbesprechung"]


@pytest.mark.parametrize("role", ["member", "reviewer", "admin"])
def test_only_coordinators_start_minutes(held, org, role):
    with pytest.raises(access.MinutesError):
        started(held, factories.account(role, org))
    assert not Minutes.select().exists()


# --- Versions and conflicts -------------------------------------------------------------------------


def test_every_save_is_a_version_and_versions_compare_and_restore(held, coordinator):
    minutes = started(held, coordinator)
    first = minutes.body
    saved = editing.save_draft(
        ctx(minutes, coordinator), "Zeile A\nZeile B\n", "green", False, 1, coordinator
    )
    saved = editing.save_draft(
        ctx(minutes, coordinator), "Zeile A\nZeile C\n", "green", True, saved.version, coordinator
    )
    assert saved.chatham_house and saved.version == 3
    numbers = [v.number for v in minutes_versions.versions(ctx(saved, coordinator), coordinator)]
    assert numbers == [3, 2, 1]
    hunks = minutes_versions.compare("Zeile A\nZeile B\n", "Zeile A\nZeile C\n")
    assert [(line.kind, line.text) for line in hunks[0]] == [
        ("same", "Zeile A"),
        ("removed", "Zeile B"),
        ("added", "Zeile C"),
    ]
    assert minutes_versions.compare("gleich", "gleich") == []
    restored = editing.restore_version(ctx(saved, coordinator), 1, saved.version, coordinator)
    assert restored.body == first and restored.version == 4
    newest = minutes_versions.get_version(ctx(restored, coordinator), 4, coordinator)
    assert newest.note == "restored:1" and newest.body == first


def test_a_stale_save_is_refused_and_keeps_the_current_text(held, coordinator):
    minutes = started(held, coordinator)
    editing.save_draft(ctx(minutes, coordinator), "Erste Fassung", "green", False, 1, coordinator)
    with pytest.raises(access.Conflict) as error:
        editing.save_draft(
            ctx(minutes, coordinator), "Zweite Fassung", "green", False, 1, coordinator
        )
    assert error.value.current.body == "Erste Fassung"
    assert Minutes.get_by_id(minutes.id).body == "Erste Fassung"


def test_two_people_saving_at_once_one_wins(app, held, coordinator, org):
    """Real threads on the real database: exactly one of two saves on the same version wins."""
    minutes = started(held, coordinator)
    second = factories.account("coordinator", org)
    db.close()
    results = []
    barrier = threading.Barrier(2)

    def save(account, text):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                context = access.get_minutes_or_404(minutes.id, account=account)
                barrier.wait()
                editing.save_draft(context, text, "green", False, 1, account)
                results.append("saved")
            except access.Conflict:
                results.append("conflict")
            finally:
                db.close()

    threads = [
        threading.Thread(target=save, args=(coordinator, "Text eins")),
        threading.Thread(target=save, args=(second, "Text zwei")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.connect(reuse_if_open=True)
    assert sorted(results) == ["conflict", "saved"]
    current = Minutes.get_by_id(minutes.id)
    assert current.version == 2 and current.body in ("Text eins", "Text zwei")
    assert MinutesVersion.select().where(MinutesVersion.minutes == minutes.id).count() == 2


def test_label_needs_what_it_names(held, coordinator):
    minutes = started(held, coordinator)
    with pytest.raises(access.MinutesError, match="TLP:RED"):
        editing.save_draft(ctx(minutes, coordinator), "x", "red", False, 1, coordinator)
    with pytest.raises(access.MinutesError):
        editing.save_draft(ctx(minutes, coordinator), "x", "purple", False, 1, coordinator)


# --- The workflow -------------------------------------------------------------------------------------


def test_the_objection_period_set_by_the_admin_applies_to_minutes_approved_afterwards(
    held, coordinator, reviewer
):
    from intranet.core import site_settings, times

    site_settings.save({"minutes_objection_days": "5"})
    minutes = started(held, coordinator)
    minutes_workflow.submit(ctx(minutes, coordinator), coordinator)
    minutes_workflow.approve(ctx(minutes, reviewer), reviewer)
    deadline = times.to_local(Minutes.get_by_id(minutes.id).objection_deadline)
    # Days are Berlin's: from 23:00 UTC (22:00 in summer) it is already tomorrow there.
    assert deadline.date() == times.to_local(utcnow()).date() + dt.timedelta(days=5)


def test_the_whole_way_with_who_and_when(held, coordinator, reviewer, member):
    minutes = started(held, coordinator)
    minutes_workflow.submit(ctx(minutes, coordinator), coordinator)
    with pytest.raises(WorkflowError, match="Kommentar"):
        minutes_workflow.return_to_draft(ctx(minutes, reviewer), reviewer, "  ")
    minutes_workflow.return_to_draft(ctx(minutes, reviewer), reviewer, "Bitte TOP 2 ergänzen.")
    assert Minutes.get_by_id(minutes.id).state == "draft"
    minutes_workflow.submit(ctx(minutes, coordinator), coordinator)
    minutes_workflow.approve(ctx(minutes, reviewer), reviewer)
    current = Minutes.get_by_id(minutes.id)
    assert current.state == "circulating"
    from intranet.core import times

    deadline_day = times.to_local(utcnow()).date() + dt.timedelta(days=14)  # Berlin's days

    assert times.to_local(current.objection_deadline).date() == deadline_day
    comments.add_comment(
        ctx(minutes, member), "objection", "TOP 1 ist falsch wiedergegeben.", member
    )
    with pytest.raises(WorkflowError, match="Einspruch"):
        minutes_workflow.release(ctx(minutes, coordinator), coordinator, "eilig")
    objection = MinutesComment.get()
    comments.resolve_objection(
        ctx(minutes, coordinator), objection.id, "Im Text berichtigt.", coordinator
    )
    with pytest.raises(WorkflowError, match="Begründung"):
        minutes_workflow.release(ctx(minutes, coordinator), coordinator)  # early, without a reason
    minutes_workflow.release(
        ctx(minutes, coordinator), coordinator, "Veröffentlichung vor der Frist nötig"
    )
    released = Minutes.get_by_id(minutes.id)
    assert released.state == "released" and released.released_at is not None
    assert released.released_sha256 == hashlib.sha256(released.released_text.encode()).hexdigest()
    assert released.body.strip() in released.released_text
    steps = [
        (e.action, e.actor_label)
        for e in minutes_workflow.timeline(ctx(released, coordinator), coordinator)
    ]
    assert steps == [
        ("start", coordinator.display_name),
        ("submit", coordinator.display_name),
        ("return", reviewer.display_name),
        ("submit", coordinator.display_name),
        ("approve", reviewer.display_name),
        ("resolve", coordinator.display_name),
        ("release", coordinator.display_name),
    ]
    assert WorkflowEvent.get(WorkflowEvent.action == "return").comment == "Bitte TOP 2 ergänzen."
    actions = {e.action for e in AuditEvent.select()}
    assert {"minutes.submit", "minutes.approve", "minutes.return", "minutes.release"} <= actions


def test_release_after_the_deadline_needs_no_reason(held, coordinator, reviewer):
    minutes = to_circulating(started(held, coordinator), coordinator, reviewer)
    Minutes.update(objection_deadline=utcnow() - dt.timedelta(minutes=1)).execute()
    minutes_workflow.release(ctx(minutes, coordinator), coordinator)
    assert Minutes.get_by_id(minutes.id).state == "released"


def test_invalid_steps_are_refused(held, coordinator, reviewer, member, admin):
    minutes = started(held, coordinator)
    # Releasing what was never reviewed, a member or admin approving, a coordinator approving.
    with pytest.raises(WorkflowError):
        minutes_workflow.release(ctx(minutes, coordinator), coordinator, "Grund")
    minutes_workflow.submit(ctx(minutes, coordinator), coordinator)
    for account in (coordinator,):
        with pytest.raises(WorkflowError):
            minutes_workflow.approve(ctx(minutes, account), account)
    for account in (member, admin):  # they do not even see minutes in review
        with pytest.raises(NotFound):
            minutes_workflow.approve(ctx(minutes, account), account)
    # Editing in review, or after release, is refused.
    with pytest.raises(WorkflowError):
        editing.save_draft(ctx(minutes, coordinator), "neu", "green", False, 2, coordinator)
    minutes_workflow.approve(ctx(minutes, reviewer), reviewer)
    Minutes.update(objection_deadline=utcnow()).execute()
    minutes_workflow.release(ctx(minutes, coordinator), coordinator)
    released = ctx(minutes, coordinator)
    with pytest.raises(WorkflowError):
        editing.save_draft(released, "neu", "green", False, released.minutes.version, coordinator)
    section = MinutesSection.select().first()
    with pytest.raises(WorkflowError):
        editing.add_decision(released, section, editing.DecisionData("Nachträglich"), coordinator)
    with pytest.raises(WorkflowError):
        minutes_workflow.submit(released, coordinator)
    assert Minutes.get_by_id(minutes.id).state == "released"


def test_a_state_change_invalidates_an_open_edit_form(held, coordinator):
    minutes = started(held, coordinator)
    stale = ctx(minutes, coordinator)
    minutes_workflow.submit(ctx(minutes, coordinator), coordinator)
    with pytest.raises(WorkflowError):
        editing.save_draft(stale, "spät", "green", False, 1, coordinator)


def test_correction_is_a_new_linked_document_and_the_original_stays_frozen(
    held, coordinator, reviewer
):
    minutes = to_circulating(started(held, coordinator), coordinator, reviewer)
    section = MinutesSection.select().first()
    Minutes.update(objection_deadline=utcnow()).execute()
    minutes_workflow.release(ctx(minutes, coordinator), coordinator)
    original = Minutes.get_by_id(minutes.id)
    correction = minutes_workflow.start_correction(ctx(minutes, coordinator), coordinator)
    assert correction.corrects_id == original.id and correction.state == "draft"
    assert correction.body == original.body
    assert MinutesSection.select().where(MinutesSection.minutes == correction.id).count() == 2
    editing.save_draft(ctx(correction, coordinator), "Berichtigt", "green", False, 1, coordinator)
    after = Minutes.get_by_id(original.id)
    assert (after.body, after.released_sha256) == (original.body, original.released_sha256)
    assert section.minutes_id == original.id
    with pytest.raises(access.MinutesError):
        minutes_workflow.start_correction(ctx(minutes, coordinator), coordinator)


def test_read_confirmation_once_and_summary_per_organisation(
    held, coordinator, reviewer, member, org, other_org, admin
):
    factories.account("member", factories.organization("Nicht eingeladen"), email="x@example.org")
    minutes = to_circulating(started(held, coordinator), coordinator, reviewer)
    with pytest.raises(WorkflowError):
        signoff.confirm_read(ctx(minutes, member), member)  # not yet released
    Minutes.update(objection_deadline=utcnow()).execute()
    minutes_workflow.release(ctx(minutes, coordinator), coordinator)
    signoff.confirm_read(ctx(minutes, member), member)
    signoff.confirm_read(ctx(minutes, member), member)
    assert ReadConfirmation.select().count() == 1
    summary = {
        (row.organization.name if row.organization else None): row
        for row in signoff.confirmation_summary(ctx(minutes, coordinator))
    }
    assert [name for name, _at in summary[other_org.name].confirmed] == [member.display_name]
    assert set(summary[org.name].missing) == {coordinator.display_name, reviewer.display_name}
    # Only the meeting's organisations: not every organisation of the forum, not the admin.
    assert set(summary) == {org.name, other_org.name}


def test_comments_only_while_circulating(held, coordinator, member):
    minutes = started(held, coordinator)
    with pytest.raises(NotFound):  # a member does not even see a draft
        comments.add_comment(ctx(minutes, member), "comment", "zu früh", member)
    assert not MinutesComment.select().exists()


def test_erasure_keeps_minutes_under_a_pseudonym(held, coordinator, reviewer, member):
    minutes = to_circulating(started(held, coordinator), coordinator, reviewer)
    comments.add_comment(ctx(minutes, member), "comment", "Danke.", member)
    registry().account_erasing.send(coordinator, pseudonym="Person 7F3A")
    registry().account_erasing.send(member, pseudonym="Person 1B2C")
    current = Minutes.get_by_id(minutes.id)
    assert current.created_by_id is None and current.created_by_label == "Person 7F3A"
    assert MinutesVersion.get().author_label == "Person 7F3A"
    assert MinutesComment.get().author_label == "Person 1B2C"
    assert WorkflowEvent.get(WorkflowEvent.action == "submit").actor_label == "Person 7F3A"


def test_action_items_are_carried_into_the_next_meeting(held, org, coordinator, reviewer, member):
    later = factories.meeting("Plenum Folgetermin", organization=org)
    minutes = started(held, coordinator)
    section = MinutesSection.select().where(MinutesSection.label == "green").get()
    editing.add_decision(
        ctx(minutes, coordinator),
        section,
        editing.DecisionData("Lagebild wird quartalsweise erstellt."),
        coordinator,
    )
    task = editing.add_action_item(
        ctx(minutes, coordinator),
        section,
        "Termine an Schulen abstimmen",
        "KPS",
        dt.date(2030, 1, 31),
        coordinator,
    )
    assert list(minutes_actions.open_action_items(member)) == []  # drafts are not agreed yet
    to_circulating(minutes, coordinator, reviewer)
    assert [a.id for a in minutes_actions.open_action_items(member)] == [task.id]
    agenda_item = minutes_actions.carry_forward(task.id, coordinator)
    assert agenda_item.meeting_id == later.id and "Termine an Schulen" in agenda_item.title
    assert ActionItem.get_by_id(task.id).carried_to_id == agenda_item.id
    with pytest.raises(access.MinutesError):
        minutes_actions.carry_forward(task.id, coordinator)
    assert Decision.select().count() == 1


def carried_task(held, coordinator, reviewer, section_label, minutes_label="green"):
    minutes = started(held, coordinator)
    Minutes.update(label=minutes_label).where(Minutes.id == minutes.id).execute()
    section = MinutesSection.select().where(MinutesSection.label == section_label).first()
    task = editing.add_action_item(
        ctx(minutes, coordinator), section, "Fall nachverfolgen", "KPS", None, coordinator
    )
    to_circulating(minutes, coordinator, reviewer)
    return task


def test_a_carried_action_item_keeps_the_strictest_label_of_where_it_stood(
    held, org, coordinator, reviewer
):
    factories.meeting("Plenum Folgetermin", organization=org)
    amber_section = carried_task(held, coordinator, reviewer, "amber")
    assert minutes_actions.carry_forward(amber_section.id, coordinator).label == "amber"


def test_a_green_section_of_amber_minutes_is_carried_as_amber(
    held, org, coordinator, reviewer, member
):
    later = factories.meeting("Plenum Folgetermin", organization=org)
    task = carried_task(held, coordinator, reviewer, "green", minutes_label="amber")
    agenda_item = minutes_actions.carry_forward(task.id, coordinator)
    assert agenda_item.label == "amber" and agenda_item.meeting_id == later.id
    # The member of the invited organisation saw the minutes, but is not named on the item.
    from intranet.meetings.access import load_context

    assert not load_context(later).item_audience(agenda_item).visible_to(member)


def test_an_action_item_is_not_carried_to_people_the_minutes_did_not_reach(
    app, org, coordinator, reviewer
):
    named = factories.account("member", org, email="genannt@example.org")
    other = factories.account("member", org, email="andere@example.org")
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=2)
    secret = factories.meeting(
        "Fallkonferenz", "red", org, persons=[coordinator, reviewer, named], start=start,
        state="held",
    )  # fmt: skip
    AgendaItem.create(meeting=secret, position=1, title="Fall A", label="red")
    factories.meeting("Fallkonferenz II", "red", org, persons=[coordinator, other])
    task = carried_task(secret, coordinator, reviewer, "red")
    with pytest.raises(access.MinutesError, match="von Hand"):
        minutes_actions.carry_forward(task.id, coordinator)
    assert ActionItem.get_by_id(task.id).carried_to_id is None
    assert AgendaItem.select().where(AgendaItem.title.contains("Fall nachverfolgen")).count() == 0


def test_access_export_lists_comments_and_confirmations(held, coordinator, reviewer, member):
    minutes = to_circulating(started(held, coordinator), coordinator, reviewer)
    comments.add_comment(ctx(minutes, member), "objection", "Bitte ändern.", member)
    data = privacy.export_minutes_data(None, account=member, viewer=coordinator)
    assert [c["text"] for c in data["minutes_comments"]] == ["Bitte ändern."]
    assert data["minutes_read_confirmations"] == []
    # An admin outside the organisations of AMBER minutes gets the entry without its text.
    Minutes.update(label="amber").where(Minutes.id == minutes.id).execute()
    admin = factories.account("admin")
    withheld = privacy.export_minutes_data(None, account=member, viewer=admin)
    entry = withheld["minutes_comments"][0]
    assert "text" not in entry and entry["minutes_id"] == minutes.id and entry["label"] == "amber"
    assert privacy.export_minutes_data(None, account=coordinator)["minutes_versions_saved"] == 1


def test_two_coordinators_starting_at_once_make_one_set_of_minutes(app, held, coordinator, org):
    from intranet.meetings.access import load_context

    second = factories.account("coordinator", org)
    db.close()
    results = []
    barrier = threading.Barrier(2)

    def start(account):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                context = load_context(held)
                barrier.wait()
                editing.start_minutes(context, account)
                results.append("started")
            except access.MinutesError:
                results.append("refused")
            finally:
                db.close()

    threads = [threading.Thread(target=start, args=(a,)) for a in (coordinator, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.connect(reuse_if_open=True)
    assert sorted(results) == ["refused", "started"]
    assert Minutes.select().count() == 1

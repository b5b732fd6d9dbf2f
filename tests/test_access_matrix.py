"""Every address with an id, for every kind of object, sharing label and role: 200 or 404.

The walk is driven by the URL map, so a new route is covered without anyone remembering to: a
rule whose arguments the matrix cannot fill fails `test_every_id_rule_is_in_the_matrix` with
"add this rule to the matrix". What an account may see comes from the app's own rules
(`MeetingContext.visible_to`, `minutes.rules.may`, the attachment owners' loaders), never from
requesting the address. Besides the status, no answer may carry a word that belongs only to an
object the account may not see — page, fragment, download, list, search or calendar feed.
"""

import datetime as dt
import functools
import hashlib
import inspect
import itertools
import re
import secrets
import string
from dataclasses import dataclass, field

import pytest
from flask_login import AnonymousUserMixin

from intranet.attachments import services as attachments
from intranet.attachments.models import Attachment
from intranet.core import sharing
from intranet.core.ids import IdConverter
from intranet.directory import visibility as directory
from intranet.directory.models import Membership, Person
from intranet.meetings import access as meetings_access
from intranet.meetings import feeds
from intranet.meetings import rules as meeting_rules
from intranet.meetings import search_provider as meeting_search
from intranet.meetings.models import AgendaItem
from intranet.minutes import access, export, signoff, versions
from intranet.minutes import search_index as minutes_search
from intranet.minutes.models import (
    CIRCULATING,
    DRAFT,
    RELEASED,
    STATES,
    ActionItem,
    Decision,
    Minutes,
    MinutesComment,
    MinutesSection,
    MinutesVersion,
)
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in

pytestmark = pytest.mark.access_matrix

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- Words that belong to one object each ---------------------------------------------------------

_letters = itertools.product(string.ascii_lowercase, repeat=4)


def new_word() -> str:
    """A token found nowhere else: all have the same length, so none hides inside another."""
    return "zqx" + "".join(next(_letters))


# --- The world --------------------------------------------------------------------------------------


@dataclass
class Target:
    """One object as the addresses name it: `args` fills a rule's arguments, `sees(account)`
    is the app's own rule for it, `word` appears only where the object's content does."""

    kind: str
    args: dict
    sees: object
    word: str = ""
    obj: object = None
    extra: dict = field(default_factory=dict)


@dataclass
class World:
    accounts: dict
    targets: list
    organizations: dict

    def of(self, kind):
        return [t for t in self.targets if t.kind == kind]


def build_world(app) -> World:
    """Objects of every kind with an id in an address, under every sharing label, and an account
    for every role the rule distinguishes."""
    org_a = factories.organization("Organisierende Stelle")  # organises the meetings
    org_b = factories.organization("Eingeladener Verein")  # invited; presents agenda items
    org_c = factories.organization("Unbeteiligter Verein")  # not involved in anything
    org_d = factories.organization("Verein der Benannten")
    accounts = {
        "admin": factories.account("admin", None, display_name="Ada Admin"),
        "coordinator": factories.account("coordinator", org_a),
        "reviewer": factories.account("reviewer", org_a),
        "invited": factories.account("member", org_b),
        "uninvolved": factories.account("member", org_c),
        "other_coordinator": factories.account("coordinator", org_c),
        "named": factories.account("member", org_d),
    }
    # RED items name these persons: the planner's side and one ordinary member.
    red_persons = [accounts["coordinator"], accounts["reviewer"], accounts["named"]]
    targets = []
    start = utcnow().replace(microsecond=0, second=0) + dt.timedelta(days=3)

    def meeting_target(meeting):
        context = meetings_access.load_context(meeting)
        targets.append(
            Target(
                "meeting",
                {"meeting_id": meeting.id},
                context.visible_to,
                meeting.title[-7:],
                meeting,
                {"context": context},
            )
        )
        return context

    made = {}
    for label in sharing.LABELS:
        word = new_word()
        made[label] = factories.meeting(
            f"Sitzung {word}",
            label,
            organization=org_a,
            invited=[org_b],
            persons=red_persons if label == sharing.RED else (),
            start=start,
        )
    # An AMBER meeting the coordinators' organisation has no part in.
    made["amber_b"] = factories.meeting(
        f"Sitzung {new_word()}", sharing.AMBER, organization=org_b, start=start
    )
    contexts = {key: meeting_target(meeting) for key, meeting in made.items()}
    for meeting in made.values():
        meeting_search.index_meeting(meeting)

    # Agenda items: one under each meeting's own label, and every label on the GREEN meeting.
    item_specs = [(key, made[key].label) for key in made]
    item_specs += [(sharing.GREEN, label) for label in sharing.LABELS if label != sharing.GREEN]
    for position, (key, label) in enumerate(item_specs, 1):
        context = contexts[key]
        item = AgendaItem.create(
            meeting=context.meeting,
            position=position,
            title=f"TOP {new_word()}",
            organization=org_b,
            label=label,
        )

        def sees_item(account, item=item, context=context):
            return context.visible_to(account) and meetings_access.can_see_agenda_item(
                account, item, context.meeting, context.person_ids
            )

        targets.append(
            Target(
                "agenda_item",
                {"meeting_id": context.meeting.id, "item_id": item.id},
                sees_item,
                item.title[-7:],
                item,
                {"context": context},
            )
        )

    # Minutes in every workflow state under each meeting's label, and narrower labels too.
    minutes_specs = [(key, state, made[key].label) for key in sharing.LABELS for state in STATES]
    minutes_specs += [(sharing.GREEN, RELEASED, label) for label in (sharing.AMBER, sharing.RED)]
    # GREEN minutes of a RED meeting: the meeting's label still decides who reads and exports.
    minutes_specs += [(sharing.RED, RELEASED, sharing.GREEN)]
    now = utcnow()
    for number, (key, state, label) in enumerate(minutes_specs):
        meeting = made[key]
        word = new_word()
        body = f"Protokolltext {word}"
        document = factories.minutes(
            meeting,
            state,
            label,
            body,
            # The draft is "the" minutes of its meeting, so starting them again is refused.
            document_key=f"meeting:{meeting.id}" if state == DRAFT else f"test:{number}",
            objection_deadline=now + dt.timedelta(days=14) if state == CIRCULATING else None,
            released_at=now if state == RELEASED else None,
            released_text=body if state == RELEASED else "",
            released_sha256=hashlib.sha256(body.encode()).hexdigest() if state == RELEASED else "",
        )
        context = access.context_for(document)

        def sees_minutes(account, context=context):
            return context.may(account, "view")

        targets.append(
            Target(
                "minutes",
                {"minutes_id": document.id},
                sees_minutes,
                word,
                document,
                {"context": context},
            )
        )
        MinutesVersion.create(
            minutes=document, number=1, body=body, label=label, author_label="Person"
        )
        targets.append(
            Target(
                "version",
                {"minutes_id": document.id, "number": 1},
                sees_minutes,
                "",
                document,
                {"context": context},
            )
        )
        if label == sharing.GREEN:
            # An earlier version written under a narrower label keeps it.
            narrower = MinutesVersion.create(
                minutes=document, number=2, body=f"Früher {new_word()}", label=sharing.AMBER
            )

            def sees_version(account, context=context, version=narrower):
                return context.may(account, "view") and versions.version_audience(
                    context, version
                ).visible_to(account)

            targets.append(
                Target(
                    "version",
                    {"minutes_id": document.id, "number": 2},
                    sees_version,
                    "",
                    narrower,
                    {"context": context},
                )
            )
        if state in (CIRCULATING, RELEASED):
            comment = MinutesComment.create(
                minutes=document,
                kind="objection" if state == CIRCULATING else "comment",
                text=f"Einwand {new_word()}",
                author_label="Person",
            )
            targets.append(
                Target(
                    "comment",
                    {"minutes_id": document.id, "comment_id": comment.id},
                    sees_minutes,
                    comment.text[-7:],
                    comment,
                    {"context": context},
                )
            )
        # Sections (with a decision and an action item each) where they are edited and where
        # they are final; every label under the GREEN minutes, each narrowing them.
        section_labels = [label] if state in (DRAFT, RELEASED) else []
        if key == sharing.GREEN and state in (DRAFT, RELEASED) and label == sharing.GREEN:
            section_labels += [lbl for lbl in sharing.LABELS if lbl != sharing.GREEN]
        for position, section_label in enumerate(section_labels, 1):
            section = MinutesSection.create(
                minutes=document,
                position=position,
                title=f"Abschnitt {new_word()}",
                label=section_label,
                organization=org_b,
                text=f"Abschnittstext {new_word()}",
            )

            def sees_section(account, section=section, context=context):
                return context.section_visible(account, section)

            section_args = {"minutes_id": document.id, "section_id": section.id}
            targets.append(
                Target(
                    "section",
                    section_args,
                    sees_section,
                    section.title[-7:],
                    section,
                    {"context": context, "text_word": section.text[-7:]},
                )
            )
            if state == RELEASED:
                # A comment about the section is read by the section's audience only.
                section_comment = MinutesComment.create(
                    minutes=document,
                    section=section,
                    kind="comment",
                    text=f"Zum Abschnitt {new_word()}",
                    author_label="Person",
                )
                targets.append(
                    Target(
                        "comment",
                        {"minutes_id": document.id, "comment_id": section_comment.id},
                        sees_section,
                        section_comment.text[-7:],
                        section_comment,
                        {"context": context},
                    )
                )
            decision = Decision.create(section=section, position=1, text=f"Beschluss {new_word()}")
            task = ActionItem.create(section=section, text=f"Aufgabe {new_word()}")
            # Entries are removed only from drafts; in released minutes they stay, and their
            # action items are tracked and carried forward.
            for kind, entry in (("decisions", decision), ("tasks", task)):
                if state != DRAFT:
                    continue
                targets.append(
                    Target(
                        "entry",
                        {**section_args, "kind": kind, "entry_id": entry.id},
                        sees_section,
                        entry.text[-7:],
                        entry,
                        {"context": context},
                    )
                )
            targets.append(
                Target(
                    "action_item",
                    {"item_id": task.id},
                    sees_section,
                    "",
                    task,
                    {"context": context, "section": section},
                )
            )
        minutes_search.index_minutes(document.id)

    # Files: on every meeting, under every label on the GREEN meeting (AMBER+STRICT too, as a
    # file whose item became AMBER+STRICT after the upload), on agenda items and minutes.
    owners = [(f"meeting:{m.id}", m.label) for m in made.values()]
    owners += [
        (f"meeting:{made[sharing.GREEN].id}", lbl) for lbl in sharing.LABELS if lbl != sharing.GREEN
    ]
    owners += [
        (f"agenda_item:{t.obj.id}", t.obj.label)
        for t in targets
        if t.kind == "agenda_item" and t.extra["context"].meeting.label == sharing.GREEN
    ]
    owners += [
        (f"minutes:{t.obj.id}", t.obj.label)
        for t in targets
        if t.kind == "minutes"
        and (t.obj.state == RELEASED or t.obj.meeting_id == made[sharing.GREEN].id)
    ]
    # Files of sections ("Anlage zu TOP 3") take the section's audience.
    owners += [(f"minutes_section:{t.obj.id}", t.obj.label) for t in targets if t.kind == "section"]
    for key, label in owners:
        kind, _, owner_id = key.partition(":")
        attachment = Attachment.create(
            owner_kind=kind,
            owner_id=int(owner_id),
            label=label,
            name=f"Anlage {new_word()}",
            file_name="anlage.pdf",
            mime_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            storage_key=secrets.token_hex(16),
        )
        path = attachments.stored_path(attachment)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PDF)

        def sees_file(account, key=key, attachment=attachment):
            with app.test_request_context():  # the owners' loaders build addresses
                owner = attachments.load_owner(key, account)
                return owner is not None and attachments.visible_to(attachment, owner, account)

        targets.append(
            Target(
                "attachment",
                {"attachment_id": attachment.id},
                sees_file,
                attachment.name[-7:],
                attachment,
                {"owner_key": key},
            )
        )

    # The directory: names are forum-wide; one entry is a member's own (which they may edit),
    # one has no account.
    organizations = {"a": org_a, "b": org_b, "c": org_c, "d": org_d}
    people = [
        Person.create(
            organization=org_b,
            account=accounts["invited"],
            family_name="Eigen",
            given_name="Eva",
            function="Ansprechperson",
        ),
        Person.create(organization=org_c, family_name="Ohnekonto", function="Vorsitz"),
    ]
    for person in people:
        targets.append(Target("person", {"person_id": person.id}, _signed_in, "", person))
        membership = Membership.create(person=person, organization=org_a, role="Beirat")
        targets.append(
            Target(
                "membership",
                {"person_id": person.id, "membership_id": membership.id},
                _signed_in,
                "",
                membership,
            )
        )
    for organization in organizations.values():
        targets.append(
            Target(
                "organization", {"organization_id": organization.id}, _signed_in, "", organization
            )
        )
    for name in ("admin", "coordinator", "invited"):
        # Accounts are named in addresses only on the admin pages.
        account = accounts[name]
        targets.append(Target("account", {"account_id": account.id}, _is_admin, "", account))
    return World(accounts, targets, organizations)


def _signed_in(account) -> bool:
    return account.is_authenticated


def _is_admin(account) -> bool:
    return account.role == "admin"


# --- Which objects fill which rule ------------------------------------------------------------------

# The arguments each kind of object fills. A rule is walked with every object whose kind fills
# exactly its arguments; `item_id` alone is an action item, with `meeting_id` an agenda item.
KIND_ARGUMENTS = {
    "meeting": {"meeting_id"},
    "agenda_item": {"meeting_id", "item_id"},
    "minutes": {"minutes_id"},
    "version": {"minutes_id", "number"},
    "comment": {"minutes_id", "comment_id"},
    "section": {"minutes_id", "section_id"},
    "entry": {"minutes_id", "section_id", "kind", "entry_id"},
    "action_item": {"item_id"},
    "attachment": {"attachment_id"},
    "person": {"person_id"},
    "membership": {"person_id", "membership_id"},
    "organization": {"organization_id"},
    "account": {"account_id"},
}


def id_rules(app):
    """Every rule with an id in its address, with the kind of object that fills it (or None)."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not any(isinstance(c, IdConverter) for c in rule._converters.values()):
            continue
        arguments = set(rule.arguments)
        kind = next((k for k, args in KIND_ARGUMENTS.items() if args == arguments), None)
        found.append((rule, kind))
    return found


# --- What each endpoint needs beyond seeing the object (the app's rules, by endpoint) -------------


def _minutes_may(action):
    return lambda account, t: t.extra["context"].may(account, action)


def _plans(account, t):
    return meetings_access.can_plan(account)


def _may_edit_file(account, t):
    with_owner = attachments.load_owner(t.extra["owner_key"], account)
    return with_owner is not None and with_owner.may_edit


def _downloadable(account, t):
    owner = attachments.load_owner(t.extra["owner_key"], account)
    return attachments.downloadable(t.obj, owner) and attachments.stored_path(t.obj).is_file()


def _open_tracked_item(account, t):
    context = t.extra["context"]
    return (
        context.state in (CIRCULATING, RELEASED)
        and t.obj.state == "open"
        and context.may(account, "track")
    )


def _may_answer(account, t):
    c = t.extra["context"]
    return meetings_access.can_answer(account, c.meeting, c.invited_ids, c.person_ids)


def _may_start(account, t):
    return access.can_start(account, t.extra["context"])


def _admin(account, t):
    return account.role == "admin"


def _exported(audience):
    return all(sharing.in_feeds(label) for label in audience.labels)


def _exported_file(account, t):
    owner = attachments.load_owner(t.extra["owner_key"], account)
    return (
        owner.kind in ("meeting", "agenda_item")
        and attachments.audience(t.obj, owner).leaves_intranet
    )


def _results_protocol(account, t):
    """Released minutes whose PDF the account may take, nothing under RED or AMBER+STRICT up
    the chain, and no later released minutes of the meeting that the account may take."""

    def exportable(context):
        return (
            context.state == RELEASED
            and context.may(account, "export")
            and _exported(context.audience)
            and context.audience.leaves_intranet
        )

    context = t.extra["context"]
    if not exportable(context):
        return False
    later = access.visible_minutes(account, "export").where(
        (Minutes.meeting == context.meeting.id)
        & (Minutes.state == RELEASED)
        & (Minutes.id != context.minutes.id)
    )
    return not any(
        exportable(access.context_for(m))
        and (m.released_at, m.id) > (context.minutes.released_at, context.minutes.id)
        for m in later
    )


# endpoint → whether an account that sees the object may use the address; absent: seeing is enough.
PERMISSION = {
    "meetings.ics": lambda a, t: sharing.in_feeds(t.obj.label),
    "meetings.edit": _plans,
    # The series' minutes template: a meeting without series has none to set.
    "meetings.series_template": lambda a, t: _plans(a, t) and t.obj.series_id is not None,
    "meetings.cancel": _plans,
    "meetings.change_state": _plans,
    "meetings.retry_mail": _plans,
    "meetings.add_agenda_item": _plans,
    "meetings.attendance": lambda a, t: meetings_access.can_record_attendance(a, t.obj),
    "meetings.answer": _may_answer,
    "meetings.edit_agenda_item": _plans,
    "meetings.move_agenda_item": _plans,
    "meetings.delete_agenda_item": _plans,
    "minutes.start": _may_start,
    "minutes.pdf": _minutes_may("export"),
    "minutes.print_view": _minutes_may("export"),
    "minutes.comment": _minutes_may("comment"),
    "minutes.resolve": _minutes_may("resolve"),
    "minutes.confirm": _minutes_may("confirm_read"),
    "minutes.consent": lambda a, t: signoff.may_consent(t.extra["context"], a),
    "minutes.correct": _minutes_may("correct"),
    "minutes.compare": _minutes_may("compare"),
    "minutes.restore": _minutes_may("edit"),
    "minutes.edit": _minutes_may("edit"),
    "minutes.general": _minutes_may("edit"),
    "minutes.preview": _minutes_may("edit"),
    "minutes.add_section": _minutes_may("edit"),
    "minutes.section": _minutes_may("edit"),
    "minutes.delete_section": _minutes_may("edit"),
    "minutes.add_decision": _minutes_may("edit"),
    "minutes.add_action_item": _minutes_may("edit"),
    "minutes.delete_entry": _minutes_may("edit"),
    # Decisions are edited in place; action items have no edit page.
    "minutes.edit_entry": lambda a, t: (
        t.args["kind"] == "decisions" and t.extra["context"].may(a, "edit")
    ),
    "minutes.carry": _open_tracked_item,
    "minutes.action_state": _open_tracked_item,
    "attachments.download": _downloadable,
    "attachments.delete": _may_edit_file,
    "directory.edit_contact": lambda a, t: directory.can_edit(a, t.obj),
    "directory.delete_contact": lambda a, t: directory.can_manage(a),
    "directory.add_membership": lambda a, t: directory.can_manage(a),
    "directory.delete_membership": lambda a, t: directory.can_manage(a),
    "directory.privacy_person": _admin,
    "directory.privacy_export": _admin,
    "directory.privacy_erase": _admin,
    "directory.edit_organization_contact": lambda a, t: directory.can_edit_organization_contact(a),
    "admin.edit_organization": _admin,
    # The OParl export is an export: nothing under TLP:RED, and files and places only where
    # they may leave the intranet (files: meetings' and agenda items' only).
    "oparl.meeting": lambda a, t: _exported(t.extra["context"].audience),
    "oparl.agenda_item": lambda a, t: _exported(t.extra["context"].item_audience(t.obj)),
    "oparl.location": lambda a, t: (
        t.extra["context"].audience.leaves_intranet and bool(t.obj.location_text)
    ),
    "oparl.file": _exported_file,
    "oparl.minutes_file": _results_protocol,
    "oparl.minutes_download": _results_protocol,
    "oparl.download": lambda a, t: _exported_file(a, t) and _downloadable(a, t),
}

# POST-only addresses whose harmless request (a valid token, nothing else) still removes or
# changes what later requests need. They run last, in this order; each object is used by one
# permitted account only, after every account that must get 404 has tried.
# Allowed GET addresses that answer with a redirect in some states (with a message), not a page:
# the attendance page exists only from the meeting's start.
REDIRECTS = {
    "meetings.attendance": lambda target: not meeting_rules.has_begun(target.obj),
}

DESTRUCTIVE = [
    "minutes.action_state",
    "minutes.delete_entry",
    "minutes.delete_section",
    "meetings.delete_agenda_item",
    "directory.delete_membership",
    "admin.toggle_account",
    "admin.reset_second_factor",  # ends the person's sessions
]

# The fragment ids the templates aim htmx requests at, where a view answers with a fragment
# only for that target; other htmx requests go without HX-Target (any fragment is wanted).
HX_TARGETS = {
    "meetings.add_agenda_item": ["agenda"],
    "meetings.move_agenda_item": ["agenda"],
    "meetings.delete_agenda_item": ["agenda"],
    "meetings.answer": ["answer", "answer-card-{meeting_id}"],
    "minutes.compare": ["compare"],
    "minutes.confirm": ["read-confirmation"],
}


@functools.cache
def has_fragments(view) -> bool:
    """Whether a view answers htmx requests differently (a partial, a target, an HX header).
    Read once per view: reading the source took a tenth of this module's time."""
    source = inspect.getsource(view)
    return bool(
        re.search(r"wants_fragment|HX-|render\(\s*\"[^\"]+\",\s*\"[^\"]+\"", source)
        or "_agenda_response" in source
    )


# --- The tests ---------------------------------------------------------------------------------------


def test_every_id_rule_is_in_the_matrix(app):
    missing = [f"{rule.rule} ({rule.endpoint})" for rule, kind in id_rules(app) if kind is None]
    assert not missing, "add this rule to the matrix (KIND_ARGUMENTS): " + ", ".join(missing)
    for endpoint in [*PERMISSION, *DESTRUCTIVE, *HX_TARGETS]:
        assert endpoint in app.view_functions, f"{endpoint} is gone: update the matrix"


def _normalised(response) -> str:
    # Calendar files and vCards fold long lines; a word must not hide across a fold.
    return response.get_data(as_text=True).replace("\r\n ", "").replace("\n ", "")


class Walk:
    """Signed-in clients per account and the failures found, reported together at the end."""

    def __init__(self, app, world):
        self.app = app
        self.world = world
        self.clients, self.tokens = {}, {}
        for name, account in world.accounts.items():
            client = app.test_client()
            assert sign_in(client, account).status_code == 303, name
            self.clients[name] = client
            self.tokens[name] = csrf_token(client)
        self.failures = []
        self.requests = 0
        with app.test_request_context():
            self.hidden_words = {
                name: {t.word for t in world.targets if t.word and not t.sees(account)}
                | {t.extra["text_word"] for t in world.of("section") if not t.sees(account)}
                for name, account in world.accounts.items()
            }
        self.word_pattern = re.compile(r"zqx[a-z]{4}")

    def fail(self, message):
        self.failures.append(message)

    def leaked_words(self, name, body) -> set:
        return set(self.word_pattern.findall(body)) & self.hidden_words[name]

    def request(self, name, method, address, headers=None, data=None, words=True):
        client = self.clients[name]
        self.requests += 1
        try:
            response = client.open(address, method=method, headers=headers or {}, data=data)
        except Exception as error:  # TESTING propagates what would be a 500
            self.fail(f"{name} {method} {address} {headers or ''}: raised {error!r}")
            return None
        if response.status_code >= 500:
            self.fail(f"{name} {method} {address} {headers or ''}: {response.status_code}")
        leaked = self.leaked_words(name, _normalised(response)) if words else ()
        if leaked:
            self.fail(f"{name} {method} {address} {headers or ''}: shows {sorted(leaked)}")
        return response


# One test per area, each on a world of its own (what one area's POSTs change stays there).
AREAS = ["meetings", "minutes", "attachments", "directory", "admin", "oparl"]


def test_every_area_is_walked(app):
    areas = {rule.endpoint.partition(".")[0] for rule, _kind in id_rules(app)}
    assert areas <= set(AREAS), f"add {sorted(areas - set(AREAS))} to AREAS"


@pytest.mark.parametrize("area", AREAS)
def test_every_id_address_answers_by_the_rule(app, monkeypatch, area):
    # The PDF renderer itself is tested in test_pdf.py; here only who gets an export matters,
    # and the export's HTML (what the PDF would show) is still rendered for every reader.
    monkeypatch.setattr(export, "render_pdf", lambda html: PDF)
    rules = [(r, k) for r, k in id_rules(app) if r.endpoint.partition(".")[0] == area]
    assert rules and all(kind for _rule, kind in rules), "see test_every_id_rule_is_in_the_matrix"
    world = build_world(app)
    walk = Walk(app, world)

    with app.test_request_context():
        expected = {}  # (endpoint, target index, account) -> (sees, permitted)
        for rule, kind in rules:
            permission = PERMISSION.get(rule.endpoint)
            for index, target in enumerate(world.targets):
                if target.kind != kind:
                    continue
                for name, account in world.accounts.items():
                    sees = bool(target.sees(account))
                    permitted = sees and (permission is None or bool(permission(account, target)))
                    expected[(rule.endpoint, rule.rule, index, name)] = (sees, permitted)

    ordered = sorted(
        rules,
        key=lambda rk: (
            DESTRUCTIVE.index(rk[0].endpoint) + 1 if rk[0].endpoint in DESTRUCTIVE else 0
        ),
    )
    # Every refused request first, the allowed destructive ones (deleting, ending sessions)
    # only after all of them, so that no refusal is checked against a world already changed.
    steps, destructive_steps = [], []
    for rule, kind in ordered:
        targets = [(i, t) for i, t in enumerate(world.targets) if t.kind == kind]
        if rule.endpoint not in DESTRUCTIVE:
            steps += [(rule, name, i, t) for i, t in targets for name in world.accounts]
            continue
        steps += [
            (rule, name, i, t)
            for i, t in targets
            for name in world.accounts
            if not expected[(rule.endpoint, rule.rule, i, name)][1]
        ]
        for i, t in targets:
            allowed = [n for n in world.accounts if expected[(rule.endpoint, rule.rule, i, n)][1]]
            destructive_steps += [(rule, allowed[0], i, t)] if allowed else []
    for rule, name, index, target in steps + destructive_steps:
        method = "GET" if "GET" in rule.methods else "POST"
        destructive = rule.endpoint in DESTRUCTIVE
        fragments = has_fragments(app.view_functions[rule.endpoint])
        sees, permitted = expected[(rule.endpoint, rule.rule, index, name)]
        with app.test_request_context():
            address = app.url_for(rule.endpoint, **target.args)
        variants = [None]
        if fragments and not (destructive and permitted):
            targets_used = HX_TARGETS.get(rule.endpoint, [None])
            variants += [
                {
                    "HX-Request": "true",
                    **({"HX-Target": hx.format(**target.args)} if hx else {}),
                }
                for hx in targets_used
            ]
        redirects = REDIRECTS.get(rule.endpoint)
        expected_get = 303 if redirects and redirects(target) else 200
        for headers in variants:
            data = {"csrf_token": walk.tokens[name]} if method == "POST" else None
            response = walk.request(name, method, address, headers, data)
            if response is None:
                continue
            status = response.status_code
            where = f"{name} {method} {address} {headers or ''}"
            if not sees and status != 404:
                walk.fail(f"{where}: {status}, expected 404 (not shared with {name})")
            elif sees and not permitted and status != 404:
                walk.fail(f"{where}: {status}, expected 404 (not allowed for {name})")
            elif permitted and method == "GET" and status != expected_get:
                walk.fail(f"{where}: {status}, expected {expected_get}")
            elif permitted and method == "POST" and status == 404:
                walk.fail(f"{where}: 404, expected the action to be reached")
    assert not walk.failures, f"{len(walk.failures)} failures:\n" + "\n".join(walk.failures[:60])


def test_lists_search_and_feeds_show_only_what_is_shared(app):
    world = build_world(app)
    walk = Walk(app, world)
    start = world.of("meeting")[0].obj.start
    pages = [
        "/",
        "/meetings",
        "/meetings?mine=1",
        f"/calendar?month={start:%Y-%m}",
        "/minutes",
        "/minutes/actions",
        *(f"/organizations/{o.id}" for o in world.organizations.values()),
    ]
    with app.test_request_context():
        tokens = {name: feeds.renew(account) for name, account in world.accounts.items()}
        sees = {
            (name, index): bool(t.sees(account))
            for index, t in enumerate(world.targets)
            for name, account in world.accounts.items()
        }
    for name, account in world.accounts.items():
        bodies = {}
        for page in pages:
            for headers in (None, {"HX-Request": "true"}):
                response = walk.request(name, "GET", page, headers)
                assert response is not None and response.status_code == 200, (name, page)
                bodies[page] = _normalised(response)
        feed = walk.request(name, "GET", f"/calendar.ics?token={tokens[name]}")
        assert feed.status_code == 200
        bodies["feed"] = _normalised(feed)
        listing, archive = bodies["/meetings"], bodies["/minutes"]
        proven, asked = set(), set()
        nothing = "zqxzzzz"  # a word no object has
        echoes = _normalised(walk.request(name, "GET", f"/search?q={nothing}", words=False)).count(
            nothing
        )
        for index, target in enumerate(world.targets):
            visible = sees[(name, index)]
            if target.kind == "meeting":
                assert (f'href="/meetings/{target.obj.id}"' in listing) is visible, (name, index)
                in_feed = visible and sharing.in_feeds(target.obj.label)
                assert (target.word in bodies["feed"]) is in_feed, (name, target.obj.title)
            if target.kind == "minutes":
                listed = target.extra["context"].may(account, "list")
                assert (f'href="/minutes/{target.obj.id}"' in archive) is listed, (name, index)
            # What is indexed and not shared must not be found; of what is shared, one of each
            # indexed kind must be, so that an empty index cannot pass for a tight one. Kinds
            # without an index are asked once each, in case one is indexed some day.
            indexed = target.kind in ("meeting", "minutes", "section")
            if not target.word or (not indexed and (visible or target.kind in asked)):
                continue
            if visible and target.kind in proven:
                continue
            asked.add(target.kind)
            # The page repeats what was asked for; a hit shows the word more often than that.
            found = _normalised(walk.request(name, "GET", f"/search?q={target.word}", words=False))
            hit = found.count(target.word) > echoes
            if visible:
                proven.add(target.kind)
                assert hit, f"{name} does not find {target.kind} {target.word}: index not built?"
            else:
                assert not hit, f"{name} finds {target.kind} {target.word}"
    assert not walk.failures, "\n".join(walk.failures[:60])


def test_anonymous_matrix_account_sees_nothing(app):
    # The rules the matrix asks must refuse a visitor outright, or "sees" would mean little.
    world = build_world(app)
    visitor = AnonymousUserMixin()
    with app.test_request_context():
        labelled = [
            t
            for t in world.targets
            if t.kind not in ("person", "membership", "organization", "account")
        ]
        assert labelled and not any(t.sees(visitor) for t in labelled)


# --- Addresses with a secret token instead of an id ---------------------------------------------------

# A token that is not a live one is a 404 for every account, whatever it looks like; a visitor
# gets the same 404 where the token is the permission (set-up, password links) and the way to
# the sign-in elsewhere. The live tokens' own behaviour is tested in their areas
# (test_account_links.py, test_setup_and_cli.py, test_directory_csv.py).
TOKEN_RULES = {"auth.setup": 404, "auth.password_link": 404, "directory.import_preview": 302}
HOSTILE_TOKENS = ["x" * 4000, "ä€😀", "..%2F..%2Fadmin", "%00", "abc%0d%0aX:1", "' OR 1=1 --"]


def test_every_token_address_is_in_the_matrix(app):
    found = {r.endpoint for r in app.url_map.iter_rules() if "token" in r.arguments}
    assert found == set(TOKEN_RULES), "add the rule to TOKEN_RULES (and check what it may reveal)"


def test_token_addresses_refuse_unknown_tokens_for_everyone(app):
    from intranet.auth import services as account_services

    world = build_world(app)
    walk = Walk(app, world)
    # A live link exists, so that "not found" cannot come from an empty table.
    with app.test_request_context():
        live = account_services.issue_password_link(world.accounts["invited"], None).token
    walk.clients["anonymous"] = app.test_client()
    walk.tokens["anonymous"] = csrf_token(walk.clients["anonymous"])
    walk.hidden_words["anonymous"] = set()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint in TOKEN_RULES]
    for rule in rules:
        for token in [*HOSTILE_TOKENS, live[:-1], live + "x", live.upper()]:
            address = rule.rule.replace("<token>", token)
            for name in walk.clients:
                for method in sorted(rule.methods & {"GET", "POST"}):
                    data = {"csrf_token": walk.tokens[name]} if method == "POST" else None
                    response = walk.request(name, method, address, data=data)
                    # A slash in the token matches no address at all: 404 before any sign-in.
                    routed = "%2F" not in token.upper()
                    expected = TOKEN_RULES[rule.endpoint] if name == "anonymous" and routed else 404
                    if response is not None and response.status_code != expected:
                        walk.fail(f"{name} {method} {address[:80]}: {response.status_code}")
    assert walk.requests > 100
    assert not walk.failures, "\n".join(walk.failures[:60])

"""Hostile input for every form and query string: control and invisible characters.

The rule lives in one place (`intranet.platform.cleaning`, applied by `intranet.core.forms.Form`
and the request class in `intranet.platform.web`); the meta-tests make sure no new form slips past it."""

import datetime as dt
import importlib
import pkgutil
import re
from html.parser import HTMLParser

import icalendar
import pytest
from flask import request
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, PasswordField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired

import intranet
from intranet.auth import services as auth_services
from intranet.core.forms import Form, line_filter, text_filter, url_filter
from intranet.directory import services as directory_services
from intranet.directory.models import Person
from intranet.meetings.models import AgendaItem, Meeting
from intranet.models import MODELS
from intranet.platform.cleaning import clean_line, clean_text, has_visible
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in

HOSTILE = "W\x00e\x01r\x0bt\x1c\x7f\x85 \u200b"
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# --- The cleaning rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Anna \t Maria\r\n ", "Anna Maria"),
        ("Raum\x0bA\x0c\x1cB", "Raum A B"),
        ("ab\x00c\x7f\x9f", "abc"),
        ("\u200b\u200d\u2060\ufeff", ""),
        ("Ali\u202ennamhcS\u2066", "AlinnamhcS"),
        ("e\u0301", "\u00e9"),  # NFC: the precomposed letter
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
        ("Anna\u200d", "Anna"),  # a joiner that joins nothing
        (None, ""),
    ],
)  # fmt: skip
def test_clean_line(raw, clean):
    assert clean_line(raw) == clean


def test_clean_text_keeps_lines_and_tabs_only():
    assert clean_text("a\r\nb\rc\x00\td\x0b\x85e") == "a\nb\nc\tde"


@pytest.mark.parametrize(
    ("value", "visible"), [("\u0301", False), ("", False), ("- .", False), ("7", True)]
)
def test_has_visible(value, visible):
    assert has_visible(value) is visible


# --- Every form cleans its text fields --------------------------------------------------------


def all_form_classes():
    for module in pkgutil.walk_packages(intranet.__path__, "intranet."):
        importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass.__module__.startswith("intranet.") and subclass not in found:
                found.add(subclass)
                todo.append(subclass)
    return sorted(found - {Form}, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def text_fields(form):
    for field in form:
        if isinstance(field, FieldList):
            field.append_entry()
            for entry in field:
                yield from text_fields(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, FormField):
            yield from text_fields(field.form)
        elif isinstance(field, StringField) and not isinstance(field, PasswordField):
            yield field


def test_every_form_inherits_the_cleaning_base_form(app):
    classes = all_form_classes()
    assert len(classes) >= 15
    assert [c.__name__ for c in classes if not issubclass(c, Form)] == []
    with app.test_request_context():
        for cls in classes:
            for field in text_fields(cls()):
                expected = (
                    text_filter
                    if isinstance(field, TextAreaField)
                    else url_filter
                    if isinstance(field, URLField)
                    else line_filter
                )
                assert field.filters[:1] == (expected,), f"{cls.__name__}.{field.name}"


def test_every_required_name_or_title_needs_something_visible(app):
    with app.test_request_context():
        for cls in all_form_classes():
            for field in text_fields(cls()):
                if field.type == "StringField" and any(
                    isinstance(v, DataRequired) for v in field.validators
                ):
                    names = [getattr(v, "__name__", "") for v in field.validators]
                    assert "visible" in names, f"{cls.__name__}.{field.name}"


class FormFinder(HTMLParser):
    """The named controls of the `<form method="post">` that posts to `action`."""

    def __init__(self, page, action):
        super().__init__()
        self.page = page
        self.action, self.inside, self.fields, self.found = action, False, {}, False
        self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = (attrs.get("method") or "").lower() == "post" and (
                (attrs.get("action") or self.page).split("#")[0] == self.action
            )
            self.found = self.found or self.inside
        elif not self.inside or not attrs.get("name"):
            if tag == "option" and self.inside and self.select is not None:
                self.fields.setdefault(self.select, attrs.get("value", ""))
            return
        elif tag in ("input", "textarea"):
            name, kind = attrs["name"], attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if kind == "radio" or "checked" in attrs:
                    self.fields.setdefault(name, attrs.get("value", ""))
            elif kind == "hidden":
                self.fields[name] = attrs.get("value", "")
            elif kind == "date":
                self.fields[name] = "2027-01-20"
            elif kind == "time":
                self.fields[name] = "18:00" if "start" in name else "20:00"
            elif kind == "email" or name.endswith("email"):
                self.fields[name] = "ne\x00u\x7f@example.org"
            elif kind == "url":
                self.fields[name] = "https://example.org/\x00x"
            elif kind == "file":
                pass
            elif "password" in name:
                self.fields[name] = f"lange\x00 Passphrase {HOSTILE}"
            elif name in ("phone", "mobile", "postal_code"):
                self.fields[name] = "01\x0007\x0b1"
            else:
                self.fields[name] = HOSTILE
        elif tag == "select":
            self.select = attrs["name"]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def post_hostile_form(client, page, action):
    finder = FormFinder(page, action)
    finder.feed(client.get(page).get_data(as_text=True))
    assert finder.found, f"no form for {action} on {page}"
    return client.post(action, data=finder.fields)


@pytest.fixture
def objects(app, org, other_org, coordinator, admin):
    meeting = Meeting.create(
        title="Sitzung",
        # Begun an hour ago: attendance can be recorded only from the start on.
        start=utcnow().replace(microsecond=0) - dt.timedelta(hours=1),
        end=utcnow().replace(microsecond=0) + dt.timedelta(hours=1),
        label="green",
        organization=org,
    )
    item = AgendaItem.create(meeting=meeting, title="Punkt", position=1, label="green")
    person = directory_services.create_person(
        {"organization": org, "family_name": "Özdemir", "given_name": "Ayşe", "function": "Vorsitz"}
    )
    member = factories.account("member", other_org, email="mitglied@example.org")
    return {"m": meeting.id, "i": item.id, "p": person.id, "a": member.id, "o": other_org.id}


SIGNED_IN_FORMS = [
    ("coordinator", "/meetings/new", "/meetings/new"),
    ("coordinator", "/meetings/{m}/edit", "/meetings/{m}/edit"),
    ("coordinator", "/meetings/{m}", "/meetings/{m}/agenda"),
    ("coordinator", "/meetings/{m}", "/meetings/{m}/cancel"),
    ("coordinator", "/meetings/{m}/agenda/{i}/edit", "/meetings/{m}/agenda/{i}/edit"),
    ("coordinator", "/meetings/{m}/attendance", "/meetings/{m}/attendance"),
    ("coordinator", "/contacts/new", "/contacts/new"),
    ("coordinator", "/contacts/{p}/edit", "/contacts/{p}/edit"),
    ("coordinator", "/contacts/{p}", "/contacts/{p}/memberships"),
    ("coordinator", "/account", "/account/password"),
    ("coordinator", "/organizations/{o}/contact", "/organizations/{o}/contact"),
    ("coordinator", "/barrierefreiheit", "/barrierefreiheit"),
    ("admin", "/admin/accounts/new", "/admin/accounts/new"),
    ("admin", "/admin/accounts/{a}/edit", "/admin/accounts/{a}/edit"),
    ("admin", "/admin/accounts/{a}/edit", "/admin/accounts/{a}/password"),
    ("admin", "/admin/organizations/new", "/admin/organizations/new"),
    ("admin", "/admin/organizations/{o}/edit", "/admin/organizations/{o}/edit"),
    ("admin", "/admin/settings", "/admin/settings"),
]


def assert_no_controls_stored():
    for model in MODELS:
        for row in model.select():
            for name, value in row.__data__.items():
                if isinstance(value, str):
                    assert not CONTROLS.search(value), f"{model.__name__}.{name}: {value!r}"


@pytest.mark.parametrize("page", ["/login", "/barrierefreiheit", "/setup/{token}"])
def test_public_forms_survive_control_characters(client, page):
    if "{token}" in page:  # the first run's set-up form, before any account exists
        page = page.format(token=auth_services.issue_setup_token())
    response = post_hostile_form(client, page, page)
    assert response.status_code < 500
    assert_no_controls_stored()


@pytest.mark.parametrize(("role", "page", "action"), SIGNED_IN_FORMS)
def test_signed_in_forms_survive_control_characters(
    client, objects, coordinator, admin, role, page, action
):
    sign_in(client, admin if role == "admin" else coordinator)
    response = post_hostile_form(client, page.format(**objects), action.format(**objects))
    # A new account with an invitation answers with the link page itself (shown only once).
    shows_result = (200,) if action == "/admin/accounts/new" else ()
    assert response.status_code in (303, 422, *shows_result), response.get_data(as_text=True)[:2000]
    assert_no_controls_stored()


def test_login_with_nul_in_the_email_is_only_a_failed_sign_in(client, coordinator):
    data = {"email": "koordination@example.org\x00", "password": factories.PASSWORD}
    response = client.post("/login", data={**data, "csrf_token": csrf_token(client)})
    # The NUL is dropped, so this is the right address and the sign-in works.
    assert response.status_code == 303


@pytest.mark.parametrize(
    "address",
    [
        "/search?q=ab%00cd",
        "/contacts?q=%00&function=%01%00&organization=%00",
        "/calendar?month=2027-03%00",
        "/meetings?when=%00&mine=%00",
        "/contacts?page=%00",
        "/calendar.ics?token=%00abc",
    ],
)
def test_query_strings_with_nul_are_no_error(client, coordinator, address):
    sign_in(client, coordinator)
    assert client.get(address).status_code < 500


def test_next_address_with_nul_is_no_error(client, coordinator):
    assert client.get("/login?next=/meetings%00x").status_code == 200
    response = sign_in(client, coordinator, next="/meetings\x00x")
    assert response.status_code == 303 and "\x00" not in response.headers["Location"]


# --- Names and titles --------------------------------------------------------------------------


def contact_form(client, org, **values):
    return {
        "csrf_token": csrf_token(client, "/contacts/new"),
        "family_name": "Özdemir",
        "function": "Vorsitz",
        "organization": org.id,
        "phone_visibility": "forum",
        "mobile_visibility": "forum",
        "email_visibility": "forum",
        **values,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("family_name", "\u200b\u200d", "Bitte füllen Sie dieses Feld aus."),
        ("family_name", "\ufeff\u2060", "Bitte füllen Sie dieses Feld aus."),
        ("family_name", "\u0301", "Bitte geben Sie mindestens einen Buchstaben oder eine Ziffer ein."),
        ("function", "\u0308\u200b", "Bitte geben Sie mindestens einen Buchstaben oder eine Ziffer ein."),
        ("given_name", "\u0301", "Bitte geben Sie mindestens einen Buchstaben oder eine Ziffer ein."),
    ],
)  # fmt: skip
def test_invisible_contact_names_are_refused_next_to_the_field(
    client, org, coordinator, field, value, message
):
    sign_in(client, coordinator)
    response = client.post("/contacts/new", data=contact_form(client, org, **{field: value}))
    assert response.status_code == 422 and Person.select().count() == 0
    body = response.get_data(as_text=True)
    # The message sits in the field's own error element, which the input points to.
    assert re.search(rf'id="{field}-error"[^>]*>\s*(<[^>]+>\s*)*{re.escape(message)}', body)


def test_persian_name_keeps_its_joiner(client, org, coordinator):
    sign_in(client, coordinator)
    name = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647"
    response = client.post("/contacts/new", data=contact_form(client, org, family_name=name))
    assert response.status_code == 303
    assert Person.get().family_name == name


def test_meeting_title_controls_are_stored_and_exported_without_them(client, coordinator):
    sign_in(client, coordinator)
    data = factories.form_data(
        client,
        title="Jahres\x0bplanung\x0c\x1c 2027\u200b",
        room="Saal\x1d 3",
        description="Zeile 1\r\nZeile 2\x0b\x00",
    )
    response = client.post("/meetings/new", data=data)
    assert response.status_code == 303
    meeting = Meeting.get()
    assert meeting.title == "Jahres planung 2027"
    assert meeting.description == "Zeile 1\nZeile 2"
    ics = client.get(f"/meetings/{meeting.id}.ics")
    assert not CONTROLS.search(ics.get_data(as_text=True).replace("\r\n", ""))
    event = icalendar.Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert str(event["summary"]) == "Jahres planung 2027"
    assert "Saal 3" in str(event["location"])


def test_ics_never_carries_controls_from_old_data(client, coordinator):
    start = utcnow().replace(microsecond=0) + dt.timedelta(days=3)
    meeting = Meeting.create(
        title="Alt\x0b\x0c\x1cer Titel",
        room="Raum\x1f",
        description="a\r\nb\x0bc",
        start=start,
        end=start + dt.timedelta(hours=1),
        label="green",
    )
    sign_in(client, coordinator)
    body = client.get(f"/meetings/{meeting.id}.ics").get_data(as_text=True)
    assert not CONTROLS.search(body.replace("\r\n", ""))
    event = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(event["summary"]) == "Alt er Titel"
    assert str(event["description"]) == "a\nbc"


def test_every_view_reads_cleaned_query_values(app):
    with app.test_request_context("/anything?q=a%00b%0B%E2%80%8Bc&q=%7F"):
        assert request.args.getlist("q") == ["ab c", ""]

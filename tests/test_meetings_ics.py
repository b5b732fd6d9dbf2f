"""Calendar files and the personal feed: RFC 5545 output parsed back by two libraries,
hostile titles, daylight-saving edges, the token's life cycle, and who sees what in the feed."""

import datetime as dt
import re
from urllib.parse import parse_qs, unquote, urlsplit

import icalendar
import pytest
import vobject

from intranet.core.times import BERLIN
from intranet.meetings import feeds, overview
from intranet.meetings.models import FeedToken, Meeting
from intranet.platform.cleaning import clean_line
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import form_data, make_meeting

HOSTILE_TITLES = [
    "Sitzung; Punkt, Komma\\Backslash",
    "Zeile eins\r\nDTSTART:19700101T000000Z\r\nEND:VEVENT",
    "Umbruch\nBEGIN:VEVENT\nUID:evil",
    '"><svg onload=alert(1)> {{7*7}} =HYPERLINK("http://x")',
    "Ümläute und ein sehr langer Titel " * 8,
]


def parse_both(body: bytes):
    calendar = icalendar.Calendar.from_ical(body)
    events = [c for c in calendar.walk("VEVENT")]
    parsed = vobject.readOne(body.decode("utf-8"))
    return calendar, events, parsed


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_title_round_trips_to_exactly_one_event(client, member, title):
    meeting = make_meeting(title)
    sign_in(client, member)
    response = client.get(f"/meetings/{meeting.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar, events, parsed = parse_both(response.data)
    assert len(events) == 1
    # A title is one line: line breaks stored before the input cleaning leave as spaces.
    assert str(events[0]["summary"]) == clean_line(title)
    assert len(parsed.vevent_list) == 1
    assert parsed.vevent.summary.value == clean_line(title)
    assert all(len(line) <= 75 for line in response.data.split(b"\r\n"))  # folded


@pytest.mark.parametrize(
    "local_start, local_end, utc_start",
    [
        (dt.datetime(2027, 10, 31, 2, 30), dt.datetime(2027, 10, 31, 3, 30), dt.datetime(2027, 10, 31, 0, 30)),
        (dt.datetime(2027, 3, 28, 1, 30), dt.datetime(2027, 3, 28, 3, 30), dt.datetime(2027, 3, 28, 0, 30)),
        (dt.datetime(2027, 1, 20, 18, 0), dt.datetime(2027, 1, 20, 20, 0), dt.datetime(2027, 1, 20, 17, 0)),
        (dt.datetime(2027, 7, 21, 18, 0), dt.datetime(2027, 7, 21, 20, 0), dt.datetime(2027, 7, 21, 16, 0)),
    ],
)  # fmt: skip
def test_dst_edge_times_round_trip_with_berlin_timezone(
    client, coordinator, local_start, local_end, utc_start
):
    sign_in(client, coordinator)
    response = client.post(
        "/meetings/new",
        data=form_data(
            client,
            date=f"{local_start:%Y-%m-%d}",
            start_time=f"{local_start:%H:%M}",
            end_time=f"{local_end:%H:%M}",
        ),
    )
    assert response.status_code == 303
    meeting = Meeting.get()
    assert meeting.start == utc_start
    body = client.get(f"/meetings/{meeting.id}.ics").data
    assert b"BEGIN:VTIMEZONE" in body and b"TZID:Europe/Berlin" in body
    assert f"DTSTART;TZID=Europe/Berlin:{local_start:%Y%m%dT%H%M%S}".encode() in body
    calendar, events, parsed = parse_both(body)
    start = events[0].decoded("dtstart")
    assert start.astimezone(dt.UTC).replace(tzinfo=None) == utc_start
    assert parsed.vevent.dtstart.value.astimezone(dt.UTC).replace(tzinfo=None) == utc_start


def test_uid_is_stable_and_sequence_rises_on_every_change(client, coordinator):
    meeting = make_meeting("Forum")
    sign_in(client, coordinator)

    def event():
        body = client.get(f"/meetings/{meeting.id}.ics").data
        return icalendar.Calendar.from_ical(body).walk("VEVENT")[0]

    first = event()
    path = f"/meetings/{meeting.id}/edit"
    client.post(path, data=form_data(client, path, title="Forum neu", version="1"))
    second = event()
    client.post(
        f"/meetings/{meeting.id}/cancel",
        data={"csrf_token": csrf_token(client), "reason": "Krank", "version": "2"},
    )
    third = event()
    assert first["uid"] == second["uid"] == third["uid"] == meeting.uid
    assert first["sequence"] < second["sequence"] < third["sequence"]
    assert third["status"] == "CANCELLED"
    assert "Krank" in str(third["description"])


def test_series_occurrences_have_their_own_uids(client, coordinator):
    sign_in(client, coordinator)
    client.post(
        "/meetings/new",
        data=form_data(client, repeat="monthly_weekday", repeat_until="2027-06-30"),
    )
    uids = [m.uid for m in Meeting.select()]
    assert len(uids) == 6 and len(set(uids)) == 6


# --- The personal feed -------------------------------------------------------------------------


def feed_url_on_account_page(client) -> str | None:
    page = client.get("/account").get_data(as_text=True)
    match = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page)
    return match.group(1) if match else None


def test_feed_token_is_made_shown_renewed_and_revoked(client, member):
    sign_in(client, member)
    assert feed_url_on_account_page(client) is None
    # The first address needs no confirmation: there is no old one to stop.
    response = client.post("/calendar/feed-token", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    first = feed_url_on_account_page(client)
    token = parse_qs(urlsplit(first).query)["token"][0]
    assert FeedToken.get().token_hash != token and token not in FeedToken.get().nonce
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get(f"/calendar.ics?token={token}").status_code == 200  # no session needed
    sign_in(client, member)
    response = client.post(
        "/calendar/feed-token",
        data={"csrf_token": csrf_token(client), "confirm": "yes"},
        headers={"HX-Request": "true", "HX-Target": "feed-token"},
    )
    assert response.status_code == 200 and '<section id="feed-token"' in response.get_data(
        as_text=True
    )
    second = feed_url_on_account_page(client)
    assert second != first
    new_token = parse_qs(urlsplit(second).query)["token"][0]
    assert client.get(f"/calendar.ics?token={token}").status_code == 404
    assert client.get(f"/calendar.ics?token={new_token}").status_code == 200


@pytest.mark.parametrize("token", ["", "falsch", "x" * 500, "' OR 1=1 --", "%00"])
def test_wrong_feed_token_is_404(client, member, token):
    with client.application.test_request_context():
        feeds.renew(member)
    assert client.get("/calendar.ics", query_string={"token": token}).status_code == 404
    assert client.get("/calendar.ics").status_code == 404


def test_feed_of_a_deactivated_account_is_closed(client, member):
    with client.application.test_request_context():
        token = feeds.renew(member)
    member.active = False
    member.save()
    assert client.get(f"/calendar.ics?token={token}").status_code == 404


def test_feed_applies_the_sharing_rule(client, member, org, other_org):
    visible = {
        "Forum": make_meeting("Forum", "green"),
        "Eingeladen": make_meeting(
            "Eingeladen", "amber", invited=[other_org], description="Geheime Einzelheit"
        ),
        "Streng": make_meeting(
            "Streng", "amber_strict", invited=[other_org], room="Raum 7", description="Vertraulich"
        ),
    }
    make_meeting("Andere", "amber", invited=[org])
    make_meeting("Rot benannt", "red", persons=[member])
    make_meeting("Abgesagt", "green", cancelled=True, cancel_reason="Krank")
    make_meeting("Uralt", "green", start=utcnow() - dt.timedelta(days=800))
    with client.application.test_request_context():
        token = feeds.renew(member)
    body = client.get(f"/calendar.ics?token={token}").data
    calendar, events, parsed = parse_both(body)
    by_title = {str(e["summary"]): e for e in events}
    assert set(by_title) == {"Forum", "Eingeladen", "Streng", "Abgesagt"}
    assert "Geheime Einzelheit" in str(by_title["Eingeladen"]["description"])
    strict = by_title["Streng"]
    # Title and time only: no description, place, link or label category.
    assert not {"description", "location", "url", "categories"} & set(strict)
    assert by_title["Abgesagt"]["status"] == "CANCELLED"
    assert b"Rot benannt" not in body and b"Vertraulich" not in body
    assert len(parsed.vevent_list) == 4
    assert visible  # the three visible ones plus the cancelled one


def test_single_ics_of_amber_strict_shows_title_and_time_only(client, member, other_org):
    meeting = make_meeting("Streng", "amber_strict", invited=[other_org], room="Raum 7")
    sign_in(client, member)
    body = client.get(f"/meetings/{meeting.id}.ics").data
    event = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(event["summary"]) == "Streng" and "location" not in event


# --- A fixed number of queries, whatever the data size -----------------------------------------


def add_meetings(n, start, organizations, persons):
    rows = []
    for i in range(n):
        begin = start + dt.timedelta(minutes=37 * i)
        rows.append(
            {
                "uid": f"m{i}-{start:%Y%m%d}@test",
                "title": f"Termin {i}",
                "start": begin,
                "end": begin + dt.timedelta(hours=1),
                "label": ("green", "amber", "red", "clear", "amber_strict")[i % 5],
                "organization": organizations[i % len(organizations)].id,
                "created_at": begin,
                "updated_at": begin,
            }
        )
    from intranet.platform.db import db

    with db.atomic():
        for chunk in range(0, len(rows), 200):
            Meeting.insert_many(rows[chunk : chunk + 200]).execute()


@pytest.mark.parametrize(
    "path",
    ["/calendar?month=2027-03", "/meetings", "/meetings?mine=1", "/meetings?when=past"],
)
def test_month_grid_and_lists_issue_a_fixed_number_of_queries(
    client, member, org, other_org, count_queries, path
):
    sign_in(client, member)
    counts = []
    start = dt.datetime(2027, 3, 1, 8, 0)
    past = utcnow() - dt.timedelta(days=400)
    for total in (10, 1000):
        Meeting.delete().execute()
        # Spread within March 2027 for the grid; lists see them as upcoming; some in the past.
        add_meetings(total, start if "past" not in path else past, [org, other_org], [member])
        with count_queries() as counted:
            response = client.get(path)
            assert response.status_code == 200
        counts.append(counted.n)
    assert counts[0] == counts[1], counts


def test_feed_issues_a_fixed_number_of_queries(client, member, org, other_org, count_queries):
    with client.application.test_request_context():
        token = feeds.renew(member)
    counts = []
    for total in (10, 1000):
        Meeting.delete().execute()
        add_meetings(total, utcnow(), [org, other_org], [member])
        with count_queries() as counted:
            assert client.get(f"/calendar.ics?token={token}").status_code == 200
        counts.append(counted.n)
    assert counts[0] == counts[1], counts


def test_upcoming_for_organization_is_one_query(app, member, other_org, count_queries):
    add_meetings(50, utcnow(), [other_org], [member])
    with count_queries() as counted:
        overview.upcoming_for_organization(member, other_org, 5)
    assert counted.n == 1


def test_password_change_closes_the_old_feed_address(client, member):
    with client.application.test_request_context():
        token = feeds.renew(member)
    sign_in(client, member)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client),
            "current_password": factories.PASSWORD,
            "new_password": "Neue Passphrase für den Sommer",
            "new_password_repeat": "Neue Passphrase für den Sommer",
        },
        follow_redirects=True,
    )
    assert "Auch Ihre bisherige Kalenderadresse funktioniert nicht mehr" in response.get_data(
        as_text=True
    )
    assert client.get(f"/calendar.ics?token={token}").status_code == 404
    assert feed_url_on_account_page(client) is None


def test_admin_password_reset_closes_the_old_feed_address(app, client, admin, member):
    with app.test_request_context():
        token = feeds.renew(member)
    sign_in(client, admin)
    response = client.post(
        f"/admin/accounts/{member.id}/password",
        data={"csrf_token": csrf_token(client), "password": "Neue Passphrase für den Herbst"},
    )
    assert response.status_code == 303
    assert client.get(f"/calendar.ics?token={token}").status_code == 404


# --- Download names ------------------------------------------------------------------------------


def content_disposition(response) -> tuple[str, str | None]:
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment; ")
    plain = re.search(r'filename="([^"]*)"', header).group(1)
    extended = re.search(r"filename\*=UTF-8''([^;\s]*)", header)
    return plain, unquote(extended.group(1)) if extended else None


def berlin(year, month, day, hour=18):
    local = dt.datetime(year, month, day, hour, 0, tzinfo=BERLIN)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


@pytest.mark.parametrize(
    "title, start, expected, as_written",
    [
        ("Plenum", berlin(2026, 12, 16), "2026-12-16-plenum.ics", None),
        ("Übung: Räume, Straßen & Öl", berlin(2027, 1, 20), "2027-01-20-uebung-raeume-strassen-oel.ics", None),
        # 23:30 in Berlin is already the next day in UTC: the name takes the local date.
        ("Spät", berlin(2027, 7, 20, 23) + dt.timedelta(minutes=30), "2027-07-20-spaet.ics", None),
        ("Şeker Bayramı", berlin(2027, 3, 10), "2027-03-10-seker-bayrami.ics", None),
        # No ASCII spelling: the words as written go into filename* (RFC 6266).
        ("محمد / لقاء", berlin(2027, 3, 10), "2027-03-10-termin.ics", "2027-03-10-محمد-لقاء.ics"),
        ("Встреча 2", berlin(2027, 3, 10), "2027-03-10-2.ics", "2027-03-10-встреча-2.ics"),
    ],
)  # fmt: skip
def test_calendar_file_is_named_by_date_and_title(
    client, member, title, start, expected, as_written
):
    meeting = make_meeting(title, start=start)
    sign_in(client, member)
    response = client.get(f"/meetings/{meeting.id}.ics")
    assert content_disposition(response) == (expected, as_written)


@pytest.mark.parametrize(
    "title",
    HOSTILE_TITLES + ["../../etc/passwd", 'a"; filename="evil.exe', "\\server\\x", 'Имя\r\n/../"x'],
)
def test_hostile_titles_make_safe_download_names(client, member, title):
    meeting = make_meeting(title, start=berlin(2027, 2, 3))
    sign_in(client, member)
    response = client.get(f"/meetings/{meeting.id}.ics")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and header.isascii()
    plain, extended = content_disposition(response)
    assert re.fullmatch(r"2027-02-03-[a-z0-9-]{1,60}\.ics", plain), plain
    assert header.count('"') == 2  # only the quotes around the plain name
    for name in (plain, extended or ""):
        assert "/" not in name and "\\" not in name and '"' not in name and ".." not in name


# --- Descriptions: plain text, not Markdown --------------------------------------------------------

MARKDOWN_DESCRIPTION = (
    "## Ablauf\n\n"
    "**Wichtig:** bitte _pünktlich_ sein. Anmeldung unter [Formular](https://anmeldung.example/x).\n\n"
    "- Begrüßung\n"
    "- Lagebild `Polizei`\n\n"
    "> Hinweis; mit Komma, und \\ Backslash"
)
PLAIN_DESCRIPTION = (
    "Ablauf\n\n"
    "Wichtig: bitte pünktlich sein. Anmeldung unter Formular (https://anmeldung.example/x).\n\n"
    "• Begrüßung\n"
    "• Lagebild Polizei\n\n"
    "Hinweis; mit Komma, und \\ Backslash"
)


def test_single_calendar_file_describes_in_plain_text(client, member):
    meeting = make_meeting("Plenum", description=MARKDOWN_DESCRIPTION)
    sign_in(client, member)
    body = client.get(f"/meetings/{meeting.id}.ics").data
    calendar, events, parsed = parse_both(body)
    assert str(events[0]["description"]) == PLAIN_DESCRIPTION
    assert parsed.vevent.description.value == PLAIN_DESCRIPTION
    # RFC 5545 escaping of the text stays the library's: ; , \\ and line breaks.
    unfolded = body.replace(b"\r\n ", b"")
    assert b"Hinweis\\; mit Komma\\, und \\\\ Backslash" in unfolded
    assert b"\\n\\n" in unfolded and b"**" not in unfolded and b"](" not in unfolded


def test_feed_describes_in_plain_text_and_keeps_its_rules(client, member, other_org):
    make_meeting("Plenum", description=MARKDOWN_DESCRIPTION)
    make_meeting("Streng", "amber_strict", invited=[other_org], description="**Vertraulich**")
    make_meeting("Rot", "red", persons=[member], description="**Geheim**")
    cancelled = make_meeting(
        "Abgesagt", cancelled=True, cancel_reason="Krank", description="*Wird nachgeholt*"
    )
    with client.application.test_request_context():
        token = feeds.renew(member)
    body = client.get(f"/calendar.ics?token={token}").data
    calendar, events, parsed = parse_both(body)
    by_title = {str(e["summary"]): e for e in events}
    assert set(by_title) == {"Plenum", "Streng", "Abgesagt"}
    assert str(by_title["Plenum"]["description"]) == PLAIN_DESCRIPTION
    assert "description" not in by_title["Streng"] and b"Vertraulich" not in body
    assert b"Geheim" not in body
    assert str(by_title["Abgesagt"]["description"]) == "Krank\n\nWird nachgeholt"
    assert cancelled.id


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_and_descriptions_stay_one_event_in_the_feed(client, member, title):
    make_meeting(title, description=title + "\n\n**x**; y, z\\")
    with client.application.test_request_context():
        token = feeds.renew(member)
    body = client.get(f"/calendar.ics?token={token}").data
    calendar, events, parsed = parse_both(body)
    assert len(events) == 1 and len(parsed.vevent_list) == 1
    assert str(events[0]["summary"]) == clean_line(title)
    assert "**" not in str(events[0]["description"])
    assert str(events[0]["description"]).endswith("x; y, z\\")


# --- The subscription on /account ----------------------------------------------------------------


def make_feed(client, account):
    with client.application.test_request_context():
        return feeds.renew(account)


def test_account_page_offers_webcal_copy_and_steps(client, member):
    token = make_feed(client, member)
    sign_in(client, member)
    page = client.get("/account").get_data(as_text=True)
    https_url = feed_url_on_account_page(client)
    assert https_url.endswith(f"/calendar.ics?token={token}")
    webcal = "webcal://" + https_url.split("://", 1)[1]
    assert f'href="{webcal}"' in page
    # The copy button needs JavaScript, so it is hidden until app.js shows it.
    button = re.search(r"<button[^>]*data-copy-target=\"feed-url\"[^>]*>", page).group(0)
    assert " hidden" in button and 'type="button"' in button
    assert (
        'data-copy-status="feed-url-copy-status"' in button and 'id="feed-url-copy-status"' in page
    )
    assert re.search(r'id="feed-url" type="text" readonly', page)
    summaries = re.findall(r"<summary[^>]*>([^<]+)</summary>", page)
    assert summaries == ["Outlook", "iPhone und iPad", "Android", "Thunderbird"]
    android = page.split(">Android</summary>", 1)[1].split("</details>", 1)[0]
    assert "Mit Google Kalender" in android and "calendar.google.com" in android
    assert "Ohne Google-Konto" in android and "ICSx⁵" in android and "DAVx⁵" in android
    assert "<script" not in page.split('id="feed-token"')[1].split("</section>")[0]


def test_the_first_address_does_not_speak_of_an_old_one(client, member):
    sign_in(client, member)
    data = {"csrf_token": csrf_token(client)}
    page = client.post("/calendar/feed-token", data=data, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Ihre Kalenderadresse ist eingerichtet" in page
    assert "die alte funktioniert nicht mehr" not in page
    data = {"csrf_token": csrf_token(client), "confirm": "yes"}
    page = client.post("/calendar/feed-token", data=data, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Ihre Kalenderadresse ist neu; die alte funktioniert nicht mehr." in page


def test_account_page_without_an_address_offers_only_to_make_one(client, member):
    sign_in(client, member)
    page = client.get("/account").get_data(as_text=True)
    assert "Kalenderadresse erzeugen" in page
    assert "webcal://" not in page and "data-copy-target" not in page
    assert 'name="confirm"' not in page


def test_renewing_needs_the_confirmation_without_javascript(client, member):
    token = make_feed(client, member)
    sign_in(client, member)
    response = client.post("/calendar/feed-token", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<h1" in page and "Kalenderadresse erneuern" in page
    assert 'id="feed-renew-confirm-error"' in page and "Bitte bestätigen Sie" in page
    assert 'aria-describedby="feed-renew-confirm-error"' in page
    assert client.get(f"/calendar.ics?token={token}").status_code == 200  # unchanged
    response = client.post(
        "/calendar/feed-token", data={"csrf_token": csrf_token(client), "confirm": "yes"}
    )
    assert response.status_code == 303
    assert client.get(f"/calendar.ics?token={token}").status_code == 404


def test_renewing_needs_the_confirmation_with_htmx(client, member):
    token = make_feed(client, member)
    sign_in(client, member)
    headers = {"HX-Request": "true", "HX-Target": "feed-token"}
    response = client.post(
        "/calendar/feed-token",
        data={"csrf_token": csrf_token(client), "confirm": "no"},
        headers=headers,
    )
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="feed-token"') and "<html" not in fragment
    assert "Bitte bestätigen Sie" in fragment
    assert client.get(f"/calendar.ics?token={token}").status_code == 200
    response = client.post(
        "/calendar/feed-token",
        data={"csrf_token": csrf_token(client), "confirm": "yes"},
        headers=headers,
    )
    assert response.status_code == 200 and "Bitte bestätigen Sie" not in response.get_data(
        as_text=True
    )
    assert client.get(f"/calendar.ics?token={token}").status_code == 404


def test_renewing_without_csrf_changes_nothing(client, member):
    token = make_feed(client, member)
    sign_in(client, member)
    client.post("/calendar/feed-token", data={"confirm": "yes"})
    assert client.get(f"/calendar.ics?token={token}").status_code == 200


def test_confirmation_page_is_the_accounts(client, member):
    make_feed(client, member)
    sign_in(client, member)
    page = client.post("/calendar/feed-token", data={"csrf_token": csrf_token(client)}).get_data(
        as_text=True
    )
    nav = page.split('aria-label="Hauptnavigation"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'href="/account" aria-current="page"', nav)
    assert nav.count("aria-current") == 1

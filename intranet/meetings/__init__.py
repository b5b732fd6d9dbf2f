"""The meeting calendar: meetings, series, agendas, answers, attendance, calendar feeds."""

from intranet.core.areas import registry
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.i18n import ngettext

AUDIT_KINDS = {
    "calendar_feed.renewed": _l("Calendar address renewed"),
    "calendar_feed.revoked": _l("Calendar address revoked"),
    "meeting.created": _l("Meeting planned"),
    "meeting.updated": _l("Meeting changed"),
    "meeting.cancelled": _l("Meeting cancelled"),
    "meeting.state": _l("Meeting state changed"),
    "meeting.attendance": _l("Attendance recorded"),
    "series.template_saved": _l("Minutes template of a series changed"),
    "meeting.viewed": _l("Meeting viewed"),
    "meeting.refused": _l("Access to a meeting refused"),
    "agenda.added": _l("Agenda item added"),
    "agenda.updated": _l("Agenda item changed"),
    "agenda.moved": _l("Agenda item moved"),
    "agenda.deleted": _l("Agenda item removed"),
}
COUNTED = {
    "meeting.refused": lambda n: ngettext(
        "%(num)s refused attempt to open a meeting", "%(num)s refused attempts to open a meeting", n
    ),
}


def register(app):
    from intranet.meetings import feeds, files, mail, privacy, search_provider, start
    from intranet.meetings.routes import bp

    app.register_blueprint(bp)
    offered = registry(app)
    offered.search_provider(search_provider.PROVIDER)
    offered.attachment_owner("meeting", files.meeting_owner)
    offered.attachment_owner("agenda_item", files.agenda_item_owner)
    offered.panel(10, start.invitations_panel)
    offered.panel(30, start.next_meetings_panel)
    offered.panel(40, start.recent_changes_panel)
    offered.personal_data_export.connect(privacy.export_meeting_data)
    offered.account_erasing.connect(privacy.pseudonymise)
    offered.access_ended.connect(feeds.revoke)
    offered.periodic.append(mail.remind)
    offered.mail_rule("meeting", mail.may_name_meeting)
    offered.audit(AUDIT_KINDS, COUNTED)
    # The calendar address on the account page, an organisation's meetings on its page.
    offered.partial("account_page", "meetings/_feed_token.html")
    offered.partial("organization_page", "meetings/_organization_meetings.html")

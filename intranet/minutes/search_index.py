"""What the site search keeps of minutes: the text of each set and of each section, with its
decisions and action items. The services index on every change; the search provider
(`search_provider`) reads the index with the access rule."""

from intranet.core import fulltext
from intranet.meetings.models import Meeting
from intranet.minutes.models import ActionItem, Decision, Minutes, MinutesSection

KIND = "minutes"
SECTION_KIND = "minutes_section"


def section_text(section: MinutesSection) -> str:
    decisions = [
        d.text for d in Decision.select(Decision.text).where(Decision.section == section.id)
    ]
    actions = [
        a.text for a in ActionItem.select(ActionItem.text).where(ActionItem.section == section.id)
    ]
    return "\n".join([section.text or "", *decisions, *actions])


def index_minutes(minutes_id: int) -> None:
    """Index the text of one set of minutes and every section it has now."""
    minutes = Minutes.select(Minutes, Meeting).join(Meeting).where(Minutes.id == minutes_id).get()
    fulltext.index(KIND, minutes.id, minutes.meeting.title, minutes.body)
    for section in MinutesSection.select().where(MinutesSection.minutes == minutes_id):
        fulltext.index(SECTION_KIND, section.id, section.title, section_text(section))


def remove_section(section_id: int) -> None:
    fulltext.remove(SECTION_KIND, section_id)

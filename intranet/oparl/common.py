"""What every OParl object is made of: the schema's address, the project's extension prefix,
addresses, times, and the sharing label as the export writes it."""

from flask import url_for

from intranet.core import sharing, times

OPARL = "https://schema.oparl.org/1.1/"
PREFIX = "sicherheitsdialog"  # the project's own prefix for extension fields
PER_PAGE = 50
# Files of these items are exported (Meeting.auxiliaryFile, AgendaItem.auxiliaryFile); files of
# minutes stay on the minutes pages, whose workflow decides more than a label can say.
EXPORTED_OWNERS = ("meeting", "agenda_item")
DETAIL_LABELS = tuple(label for label in sharing.LABELS if sharing.shows_detail(label))
FORMS_OF_ADDRESS = {"ms": "Frau", "mr": "Herr"}


def link(endpoint: str, **args) -> str:
    return url_for(endpoint, _external=True, **args)


def stamp(value) -> str | None:
    """A stored naive UTC time as ISO 8601 with the Berlin offset."""
    return times.to_local(value).isoformat() if value else None


def exported(audience: sharing.Audience) -> bool:
    """Whether an item appears at all: no TLP:RED anywhere up its chain (never in exports)."""
    return all(sharing.in_feeds(label) for label in audience.labels)


def extension(audience: sharing.Audience) -> dict:
    strictest = max(audience.labels, key=sharing.LABELS.index)
    return {f"{PREFIX}:label": sharing.LABEL_NAMES[strictest]}


def public(audience: sharing.Audience) -> bool:
    """OParl `public`: only what may be published outside the forum, all the way up."""
    return all(sharing.is_public(label) for label in audience.labels)


def clean(data: dict) -> dict:
    """OParl leaves out what is unknown rather than writing null or an empty string."""
    return {key: value for key, value in data.items() if value not in (None, "")}

"""Settings the admin edits in the browser, cached per request."""

from flask import current_app, g

from intranet.core.models import SiteSetting
from intranet.platform.prepared import Prepared

# key -> default. Imprint and privacy notice usually live on the operator's public website.
EDITABLE = {
    "imprint_url": "",
    "privacy_url": "",
    "accessibility_contact": "",
    # Roles that must use a second factor, comma-separated; None until the admin saves it,
    # then the installation's SECOND_FACTOR_ROLES apply (auth.second_factor).
    "second_factor_roles": None,
    # Empty: INTRANET_AUDIT_RETENTION_DAYS (365) from the server's configuration.
    "audit_retention_days": "",
    # Empty: INTRANET_MINUTES_OBJECTION_DAYS (14).
    "minutes_objection_days": "",
    # Empty: INTRANET_MEETING_REMINDER_DAYS (2).
    "meeting_reminder_days": "",
}
# Each number of days the admin may set: (configuration key, lowest, highest). The audit log can
# be shortened, but not below a month: a short period must not erase recent reads. An objection
# period shorter than two days or longer than a quarter helps nobody.
DAYS = {
    "audit_retention_days": ("AUDIT_RETENTION_DAYS", 30, 3650),
    "minutes_objection_days": ("MINUTES_OBJECTION_DAYS", 2, 90),
    "meeting_reminder_days": ("MEETING_REMINDER_DAYS", 1, 30),
}


def _all_rows():
    return SiteSetting.select(SiteSetting.key, SiteSetting.value).tuples()


# Every page shows settings (the forum's name, the footer): compiled once, then only run.
_ALL_ROWS = Prepared(_all_rows)


def get_all() -> dict[str, str]:
    if "site_settings" not in g:
        values = dict(EDITABLE)
        values.update(_ALL_ROWS.run())
        g.site_settings = values
    return g.site_settings


def save(values: dict[str, str]) -> None:
    for key, value in values.items():
        if key not in EDITABLE:
            raise KeyError(key)
        SiteSetting.insert(key=key, value=value).on_conflict(
            conflict_target=[SiteSetting.key], update={SiteSetting.value: value}
        ).execute()
    g.pop("site_settings", None)


def days(key: str) -> int:
    """A number of days from the admin's setting (kept within its range), else the configuration."""
    config_key, low, high = DAYS[key]
    value = get_all().get(key, "")
    if value.isdigit():
        return max(low, min(int(value), high))
    return int(current_app.config[config_key])


def audit_retention_days() -> int:
    """How long `audit prune` keeps entries."""
    return days("audit_retention_days")


def minutes_objection_days() -> int:
    """How long circulating minutes are open for objections."""
    return days("minutes_objection_days")


def meeting_reminder_days() -> int:
    """How many days before a meeting those who accepted are reminded of it."""
    return days("meeting_reminder_days")

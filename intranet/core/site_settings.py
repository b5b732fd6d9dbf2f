"""Settings the admin edits in the browser, cached per request."""

from flask import current_app, g

from intranet.core.models import SiteSetting

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
}
# The admin can shorten the log, but not below this: a short period must not erase recent reads.
AUDIT_RETENTION_MIN_DAYS = 30
AUDIT_RETENTION_MAX_DAYS = 3650


def get_all() -> dict[str, str]:
    if "site_settings" not in g:
        values = dict(EDITABLE)
        values.update({row.key: row.value for row in SiteSetting.select()})
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


def audit_retention_days() -> int:
    """How long `audit prune` keeps entries: the admin's setting, else the configuration."""
    value = get_all().get("audit_retention_days", "")
    if value.isdigit():
        return max(AUDIT_RETENTION_MIN_DAYS, min(int(value), AUDIT_RETENTION_MAX_DAYS))
    return int(current_app.config["AUDIT_RETENTION_DAYS"])

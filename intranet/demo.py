"""Demo data shared by all areas: the forum's 14 organisations as named in its announcement."""

import datetime as dt

from intranet.core.accounts import Organization

# (name, short name, kind) — the signatories of the declaration on the security dialogue.
FORUM_ORGANIZATIONS = [
    ("Koordinierungs- und Beratungsstelle Radikalisierungsprävention", "KORA", "counselling"),
    ("Polizeidirektion Dresden", "PD Dresden", "authority"),
    (
        "Integrations- und Ausländerbeauftragte der Stadt Dresden",
        "Integrationsbeauftragte",
        "authority",
    ),
    ("Afghanisch Islamischer Kulturverein Sachsen e.V.", "AIKV", "association"),
    ("Afghanisches Zentrum in Sachsen Gadir e.V.", "Gadir", "association"),
    ("Ahmadiyya Muslim Jamaat – Dresden", "AMJ Dresden", "association"),
    ("Deutsch-Kurdisches Forum e.V.", "DKF", "association"),
    ("DIMCIB Dresden e.V.", "DIMCIB", "association"),
    ("DITIB Türkisch Islamische Gemeinde zu Dresden e.V.", "DITIB Dresden", "association"),
    ("Forum Dialog Dresden", "Forum Dialog", "association"),
    ("Islamische Gemeinde As-Sahaba Moschee e.V.", "As-Sahaba", "association"),
    ("Islamisches Zentrum Dresden e.V.", "IZD", "association"),
    ("Soziale Dienste Jugendhilfe gGmbH", "SDJ", "other"),
    ("Tschetschenischer Kultur- und Integrationsverein e.V.", "TKIV", "association"),
]


def create_organizations(joined_on: dt.date) -> list[Organization]:
    """Create the forum's organisations (all signatories) and return them in the order above."""
    return [
        Organization.create(
            name=name, short_name=short, kind=kind, status="signatory", joined_on=joined_on
        )
        for name, short, kind in FORUM_ORGANIZATIONS
    ]

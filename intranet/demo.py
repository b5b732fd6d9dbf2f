"""Demo data shared by all areas: the forum's 14 organisations as named in its announcement."""

import datetime as dt

from intranet.core.accounts import Organization, OrganizationKind, OrganizationStatus

# (name, short name, kind) — the signatories of the declaration on the security dialogue.
FORUM_ORGANIZATIONS = [
    (
        "Koordinierungs- und Beratungsstelle Radikalisierungsprävention",
        "KORA",
        OrganizationKind.COUNSELLING,
    ),
    ("Polizeidirektion Dresden", "PD Dresden", OrganizationKind.AUTHORITY),
    (
        "Integrations- und Ausländerbeauftragte der Stadt Dresden",
        "Integrationsbeauftragte",
        OrganizationKind.AUTHORITY,
    ),
    ("Afghanisch Islamischer Kulturverein Sachsen e.V.", "AIKV", OrganizationKind.ASSOCIATION),
    ("Afghanisches Zentrum in Sachsen Gadir e.V.", "Gadir", OrganizationKind.ASSOCIATION),
    ("Ahmadiyya Muslim Jamaat – Dresden", "AMJ Dresden", OrganizationKind.ASSOCIATION),
    ("Deutsch-Kurdisches Forum e.V.", "DKF", OrganizationKind.ASSOCIATION),
    ("DIMCIB Dresden e.V.", "DIMCIB", OrganizationKind.ASSOCIATION),
    (
        "DITIB Türkisch Islamische Gemeinde zu Dresden e.V.",
        "DITIB Dresden",
        OrganizationKind.ASSOCIATION,
    ),
    ("Forum Dialog Dresden", "Forum Dialog", OrganizationKind.ASSOCIATION),
    ("Islamische Gemeinde As-Sahaba Moschee e.V.", "As-Sahaba", OrganizationKind.ASSOCIATION),
    ("Islamisches Zentrum Dresden e.V.", "IZD", OrganizationKind.ASSOCIATION),
    ("Soziale Dienste Jugendhilfe gGmbH", "SDJ", OrganizationKind.OTHER),
    ("Tschetschenischer Kultur- und Integrationsverein e.V.", "TKIV", OrganizationKind.ASSOCIATION),
]


def create_organizations(joined_on: dt.date) -> list[Organization]:
    """Create the forum's organisations (all signatories) and return them in the order above."""
    return [
        Organization.create(
            name=name,
            short_name=short,
            kind=kind,
            status=OrganizationStatus.SIGNATORY,
            joined_on=joined_on,
        )
        for name, short, kind in FORUM_ORGANIZATIONS
    ]

"""Plausible demo people for the forum's organisations: invented, without accounts.

Names come from the communities the forum brings together (German, Turkish, Arabic, Kurdish,
Afghan, Chechen), some written in Arabic script, so the directory is exercised the way it
will be used. The same `rng` seed always gives the same people.
"""

import datetime as dt
import random
import re

from intranet.core.accounts import Organization, OrganizationKind
from intranet.directory import services, text
from intranet.directory.models import VISIBILITIES, Membership, Person, Visibility
from intranet.directory.visibility import default_visibility
from intranet.platform.db import db

# (given names, family names, language) per community.
COMMUNITIES = {
    "german": (
        [
            "Anna",
            "Jörg",
            "Katrin",
            "Matthias",
            "Sabine",
            "Uwe",
            "Franziska",
            "Björn",
            "Käthe",
            "Jürgen",
        ],
        [
            "Müller",
            "Schröder",
            "Weiß",
            "Böhme",
            "Krüger",
            "Fuchs",
            "Hoffmann",
            "Lehmann",
            "Schütze",
            "Groß",
        ],
        "Deutsch",
    ),
    "turkish": (
        ["Ayşe", "Mehmet", "Zeynep", "Emre", "Gülşen", "Oğuz", "Şükrü", "Elif", "İbrahim", "Çağla"],
        [
            "Özdemir",
            "Yılmaz",
            "Şahin",
            "Çelik",
            "Doğan",
            "Aydın",
            "Öztürk",
            "Kılıç",
            "Güneş",
            "Erdoğan",
        ],
        "Türkisch",
    ),
    "arabic": (
        [
            "Mohammed",
            "Fatima",
            "Omar",
            "Layla",
            "Yusuf",
            "Amira",
            "Khaled",
            "Rania",
            "Samir",
            "Nour",
        ],
        [
            "Al-Hassan",
            "Haddad",
            "Khalil",
            "Nasser",
            "Saleh",
            "Mansour",
            "Abdallah",
            "Darwish",
            "Aziz",
            "Hamdan",
        ],
        "Arabisch",
    ),
    "kurdish": (
        [
            "Rojda",
            "Azad",
            "Berîvan",
            "Serhat",
            "Dilan",
            "Şoreş",
            "Hêvî",
            "Baran",
            "Nergiz",
            "Rêzan",
        ],
        ["Barzanî", "Ehmed", "Şêxo", "Zana", "Amed", "Botan", "Hesen", "Kobanî", "Mizgîn", "Xelîl"],
        "Kurdisch",
    ),
    "afghan": (
        [
            "Ahmad",
            "Farida",
            "Hamid",
            "Mariam",
            "Nasrin",
            "Sohail",
            "Zahra",
            "Wahid",
            "Parwana",
            "Jawad",
        ],
        [
            "Karimi",
            "Rahimi",
            "Ahmadzai",
            "Noori",
            "Hakimi",
            "Stanekzai",
            "Sultani",
            "Popal",
            "Amiri",
            "Wardak",
        ],
        "Dari, Paschtu",
    ),
    "chechen": (
        [
            "Ramzan",
            "Zarema",
            "Ibragim",
            "Madina",
            "Aslan",
            "Kheda",
            "Magomed",
            "Luiza",
            "Adam",
            "Aminat",
        ],
        [
            "Dudayev",
            "Umarov",
            "Bisultanov",
            "Tsakaeva",
            "Magomadov",
            "Israilova",
            "Gaziev",
            "Basaeva",
            "Khasanov",
            "Elmurzaeva",
        ],
        "Tschetschenisch, Russisch",
    ),
}
# Names written in Arabic script, with the Latin spelling used for their email address.
ARABIC_SCRIPT = [
    ("محمد", "الحسن", "mohammed.alhassan"),
    ("فاطمة", "حداد", "fatima.haddad"),
    ("عمر", "خليل", "omar.khalil"),
    ("ليلى", "ناصر", "layla.nasser"),
    ("أحمد", "كريمي", "ahmad.karimi"),
    ("مريم", "رحيمي", "mariam.rahimi"),
]
# Which communities an organisation's people come from, by keywords in its name.
ORGANIZATION_HINTS = [
    ("türk", ["turkish", "german"]),
    ("ditib", ["turkish"]),
    ("kurd", ["kurdish"]),
    ("afghan", ["afghan"]),
    ("tschetschen", ["chechen"]),
    ("kaukas", ["chechen"]),
    ("arab", ["arabic"]),
    ("islam", ["arabic", "turkish", "afghan"]),
    ("moschee", ["arabic", "turkish"]),
    ("muslim", ["arabic", "turkish", "chechen"]),
]
FUNCTIONS = {
    "authority": [
        "Sachgebietsleitung",
        "Kontaktbereichsbeamtin",
        "Präventionsbeauftragter",
        "Pressestelle",
        "Referentin",
    ],
    "counselling": [
        "Beraterin",
        "Leitung der Beratungsstelle",
        "Fachreferent Prävention",
        "Koordination",
    ],
    "association": [
        "Vorsitz",
        "Stellvertretender Vorsitz",
        "Imam",
        "Jugendarbeit",
        "Kasse",
        "Schriftführung",
        "Frauenarbeit",
    ],
    "other": ["Projektleitung", "Sozialarbeiterin", "Ehrenamtskoordination"],
}
ROLES = ["Delegierte Person im Forum", "Vertretung im Forum", "Ansprechperson Sicherheit"]


def _communities(organization) -> list[str]:
    name = organization.name.casefold()
    for hint, communities in ORGANIZATION_HINTS:
        if hint in name:
            return communities
    return (
        ["german", "german", "turkish", "arabic"]
        if organization.kind == OrganizationKind.AUTHORITY
        else list(COMMUNITIES)
    )


def _domain(organization) -> str:
    slug = re.sub(
        r"[^a-z0-9]+", "-", text.fold(organization.short_name or organization.name)
    ).strip("-")
    return f"{slug[:30] or 'verein'}.example.org"


def _local_part(given: str, family: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "", text.fold(f"{given}.{family}").replace(" ", "."))


def _phone(rng: random.Random, mobile: bool = False) -> str:
    if mobile:
        return f"+49 1{rng.choice(['51', '52', '60', '70', '76'])} {rng.randint(1000000, 9999999)}"
    return f"+49 351 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


# The general contact of some organisations (made up: example domains, placeholder streets);
# the others show whom to ask instead.
OFFICES = {
    "KORA": {
        "phone": "+49 351 400 1200",
        "email": "kontakt@kora.example.org",
        "address": "Musterstraße 1\n01067 Dresden",
        "office_hours": "Mo–Do 9–16 Uhr, Fr 9–13 Uhr",
    },
    "PD Dresden": {
        "phone": "+49 351 400 2100",
        "email": "praevention@pd-dresden.example.org",
        "address": "Beispielplatz 3\n01069 Dresden",
        "office_hours": "Mo–Fr 8–15 Uhr",
    },
    "Integrationsbeauftragte": {
        "phone": "+49 351 400 3300",
        "email": "integration@stadt.example.org",
        "address": "Rathausplatz 5\n01067 Dresden",
        "office_hours": "Di 9–12 Uhr, Do 13–18 Uhr",
    },
    "DITIB Dresden": {
        "phone": "+49 351 400 4400",
        "address": "Gemeindeweg 7\n01139 Dresden",
        "office_hours": "Sa–So 11–17 Uhr",
    },
    "IZD": {"email": "vorstand@izd.example.org", "office_hours": "Nach dem Freitagsgebet"},
}


def give_offices(organizations) -> None:
    for organization in organizations:
        office = OFFICES.get(organization.short_name)
        if office:
            Organization.update(**office).where(Organization.id == organization.id).execute()
            for field, value in office.items():
                setattr(organization, field, value)


def _phone_visibility(rng: random.Random, organization) -> str:
    # Drawn for everyone, so the rest of the data stays as it was; an authority's office line
    # is for the forum, as for every new entry of an authority.
    drawn = rng.choice(VISIBILITIES)
    public = default_visibility(organization.kind, "phone") == Visibility.FORUM
    return Visibility.FORUM if public else drawn


def populate(
    organizations, scale: int = 1, rng: random.Random | None = None, today: dt.date | None = None
) -> list[Person]:
    """Create about three people per organisation (times `scale`) with memberships."""
    rng = rng or random.Random(4)
    today = today or dt.date.today()
    created = []
    organizations = list(organizations)
    # Drawn first, so that `scale` multiplies exactly the people of scale 1.
    sizes = [rng.randint(2, 4) for _organization in organizations]
    with db.atomic():
        give_offices(organizations)
        for organization, size in zip(organizations, sizes, strict=True):
            communities = _communities(organization)
            functions = FUNCTIONS.get(organization.kind, FUNCTIONS["other"])
            members = []
            for _number in range(size * max(1, scale)):
                if organization.kind == OrganizationKind.ASSOCIATION and rng.random() < 0.15:
                    given, family, local = rng.choice(ARABIC_SCRIPT)
                    languages = "Arabisch, Deutsch"
                else:
                    community = COMMUNITIES[rng.choice(communities)]
                    given, family = rng.choice(community[0]), rng.choice(community[1])
                    local = _local_part(given, family)
                    languages = (
                        community[2] if community[2] == "Deutsch" else f"{community[2]}, Deutsch"
                    )
                values = {
                    "organization": organization,
                    "given_name": given,
                    "family_name": family,
                    "title": "Dr." if rng.random() < 0.08 else "",
                    "form_of_address": rng.choice(["", "ms", "mr"]),
                    "function": rng.choice(functions),
                    "languages": languages,
                    "phone": _phone(rng),
                    "phone_visibility": _phone_visibility(rng, organization),
                    "mobile": _phone(rng, mobile=True) if rng.random() < 0.5 else "",
                    "mobile_visibility": rng.choice(
                        [Visibility.ORGANIZATION, Visibility.COORDINATORS]
                    ),
                    "email": f"{local}@{_domain(organization)}",
                    "email_visibility": rng.choice(VISIBILITIES),
                    "consent_on": today - dt.timedelta(days=rng.randint(30, 700)),
                    "consent_basis": rng.choice(["consent", "explicit_consent"]),
                }
                person = Person()
                services.apply(person, values)
                person.save(force_insert=True)
                members.append(person)
            created.extend(members)
            _memberships(rng, organization, members, today)
    return created


def _memberships(rng: random.Random, organization, members: list[Person], today: dt.date) -> None:
    if not members:
        return
    delegate = members[0]
    start = today - dt.timedelta(days=rng.randint(200, 1500))
    Membership.create(person=delegate, organization=organization, role=ROLES[0], start_date=start)
    if len(members) > 1:
        Membership.create(
            person=members[1],
            organization=organization,
            role=ROLES[1],
            start_date=start,
            on_behalf_of=delegate,
        )
    if len(members) > 2 and rng.random() < 0.5:
        # An earlier delegate: some ended long enough ago to show up for the retention review.
        ended = today - dt.timedelta(days=rng.randint(60, 900))
        Membership.create(
            person=members[2],
            organization=organization,
            role=ROLES[2],
            start_date=ended - dt.timedelta(days=rng.randint(200, 800)),
            end_date=ended,
        )

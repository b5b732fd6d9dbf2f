"""Sharing labels (TLP 2.0) and the one rule that decides who sees a labelled item.

Meetings, agenda items, minutes and attachments all use these functions, so that a page, a
list, a fragment, a feed and an export can never disagree about what an account may see.
"""

from dataclasses import dataclass
from typing import NamedTuple

from peewee import OP, Case, ColumnBase, Expression, Select, SelectBase

from intranet.platform.compiled import Compiled, qualified_name
from intranet.platform.db import is_sqlite
from intranet.platform.enums import LabelledEnum
from intranet.platform.i18n import lazy_gettext as _l


class Label(LabelledEnum):
    """A sharing label: `label` is what a volunteer understands without knowing TLP (shown
    first), `tlp` the name beside it for those who do, `description` one line on who sees it."""

    CLEAR = (
        "clear",
        _l("Public"),
        _l("every account; may also be published outside the forum"),
    )
    GREEN = "green", _l("Everyone in the forum"), _l("every account of the forum")
    AMBER = (
        "amber",
        _l("Only the organisations involved"),
        _l("only accounts of the organisations named on it"),
    )
    AMBER_STRICT = (
        "amber_strict",
        _l("Only the organisations involved, no passing on"),
        _l(
            "only accounts of the organisations named on it; no download or feed beyond title "
            "and time"
        ),
    )
    RED = (
        "red",
        _l("Only the persons named"),
        _l("only the persons named on it; never in exports or feeds"),
    )

    @property
    def tlp(self) -> str:
        """ "TLP:AMBER+STRICT": the same in every language."""
        return "TLP:" + self.value.upper().replace("_", "+")


# The members under the names every area spells them with (`sharing.GREEN`).
CLEAR, GREEN, AMBER, AMBER_STRICT, RED = Label
LABELS = tuple(Label)
DEFAULT = GREEN
# Labels whose audience is the whole forum, those that name organisations, the one that names persons.
FORUM_LABELS = (CLEAR, GREEN)
ORGANIZATION_LABELS = (AMBER, AMBER_STRICT)
PERSON_LABELS = (RED,)
# Labels whose reads the audit log records (core.audit.record_read).
RESTRICTED_LABELS = frozenset(ORGANIZATION_LABELS + PERSON_LABELS)

# Stored code → "TLP:GREEN" and → the plain words, for templates and code that hold a stored
# string (a row read from the database) rather than a member.
LABEL_NAMES = {label: label.tlp for label in Label}
LABEL_PLAIN = Label.labels()


def is_public(label: str) -> bool:
    """Whether an item may be published outside the forum (OParl `public`): TLP:CLEAR only."""
    return label == CLEAR


def can_see(account, label: str, organization_ids, person_ids) -> bool:
    """Whether `account` may see an item with `label` naming these organisations and persons.

    The admin role grants nothing here (separation of duties): an admin sees what the rule gives
    their organisation and person, and an admin without organisation only CLEAR and GREEN.
    """
    if account is None or not getattr(account, "is_authenticated", False):
        return False
    if label in FORUM_LABELS:
        return True
    if label in ORGANIZATION_LABELS:
        return account.organization_id is not None and account.organization_id in set(
            organization_ids
        )
    if label in PERSON_LABELS:
        return account.id in set(person_ids)
    return False  # an unknown label shows nothing rather than everything


def label_problem(label: str, organization_ids, person_ids):
    """Why an item with `label` naming these organisations and persons cannot be saved, as a
    message for its label field, or None.

    An AMBER item naming no organisation, or a RED one on a meeting without persons named,
    would be seen by nobody, its author included: nobody could ever correct or remove it.
    Empty ids (None, 0 for "— none —" in a form) name nobody.
    """
    if label not in LABELS:
        return _l("Please choose a sharing label.")
    if label in ORGANIZATION_LABELS and not any(organization_ids):
        return _l("TLP:AMBER needs at least one organisation named on it.")
    if label in PERSON_LABELS and not any(person_ids):
        return _l("TLP:RED needs a meeting with persons named on it.")
    return None


@dataclass(frozen=True)
class Audience:
    """Who may see one labelled item: its label, the organisations and persons it names, and
    the audience of the item it belongs to, which it can only narrow (an agenda item within its
    meeting, a section within its minutes, a file within either)."""

    label: str
    organization_ids: frozenset = frozenset()
    person_ids: frozenset = frozenset()
    parent: "Audience | None" = None

    def visible_to(self, account) -> bool:
        if self.parent is not None and not self.parent.visible_to(account):
            return False
        return can_see(account, self.label, self.organization_ids, self.person_ids)

    def narrowed(self, label: str, organization_ids=None, person_ids=None) -> "Audience":
        """The audience of an item inside this one; it names what this one names unless told."""
        return Audience(
            label,
            self.organization_ids if organization_ids is None else frozenset(organization_ids),
            self.person_ids if person_ids is None else frozenset(person_ids),
            self,
        )

    def admits(self) -> tuple[frozenset | None, frozenset | None]:
        """Who gets through every level, as (organisations, persons): an account must belong
        to one of the organisations (None: any) and be one of the persons (None: anyone)."""
        organizations = persons = None
        level = self
        while level is not None:
            if level.label in ORGANIZATION_LABELS:
                named = level.organization_ids
                organizations = named if organizations is None else organizations & named
            elif level.label in PERSON_LABELS:
                persons = level.person_ids if persons is None else persons & level.person_ids
            elif level.label not in FORUM_LABELS:
                return frozenset(), frozenset()  # an unknown label admits nobody
            level = level.parent
        return organizations, persons

    def within(self, other: "Audience") -> bool:
        """Whether everyone this audience admits is admitted by `other` too (so that a copy
        of `other`'s content shown to this audience reaches nobody new)."""
        my_organizations, my_persons = self.admits()
        organizations, persons = other.admits()
        if organizations is not None and (
            my_organizations is None or not my_organizations <= organizations
        ):
            return False
        return persons is None or (my_persons is not None and my_persons <= persons)

    @property
    def labels(self) -> tuple[str, ...]:
        """This label and those of every item above it."""
        return (self.label, *(self.parent.labels if self.parent else ()))

    # The one policy for what may leave the page: every area asks these two, never the labels.

    @property
    def leaves_intranet(self) -> bool:
        """Whether exports, feeds and mails may carry more than title and time (no
        AMBER+STRICT, no RED anywhere up the chain: a GREEN item of a RED meeting stays in)."""
        return all(shows_detail(label) for label in self.labels)

    @property
    def downloadable(self) -> bool:
        """Whether a reader of the item may download its file: not under AMBER+STRICT anywhere
        up the chain ("no passing on"). RED files go to the persons named, and no further."""
        return AMBER_STRICT not in self.labels


@dataclass(frozen=True)
class MailPolicy:
    """What a mail, and the calendar file it carries, may say about one item (a meeting,
    minutes): every kind of mail asks this object, never the labels.

    A mail leaves the intranet for good. It names the item (title, date) only where the whole
    chain of labels may leave (CLEAR, GREEN, AMBER) and the recipient is in its audience;
    otherwise it says only that something waits, with the link. A calendar file of an item
    that may not be named carries time and place, without the title. No mail ever carries
    the text of minutes, a section or a comment: the templates get no such text at all."""

    audience: Audience

    def names_for(self, account) -> bool:
        """Whether a mail to `account` may carry the item's title and date."""
        return self.audience.leaves_intranet and self.audience.visible_to(account)

    @property
    def calendar_title(self) -> bool:
        """Whether a calendar file in a mail may carry the item's title (and more than time
        and place: description, link, label)."""
        return self.audience.leaves_intranet


def audience(label: str, organization_ids=(), person_ids=()) -> Audience:
    return Audience(label, frozenset(organization_ids), frozenset(person_ids))


def shows_detail(label: str) -> bool:
    """Whether downloads, feeds and mails may carry more than title and time."""
    return label in (CLEAR, GREEN, AMBER)


def in_feeds(label: str) -> bool:
    """RED items never leave the intranet: no export, no feed, no calendar file."""
    return label not in PERSON_LABELS


class Reader(NamedTuple):
    """What the visibility rules read of an account: its id, its organisation and its role
    (the minutes' rule lets each role see other workflow states).

    Hashable and nothing more, so a query compiled once per reader (`platform.prepared.Prepared`)
    is keyed by exactly what its rule depends on; a rule that asked for more would fail loudly.
    """

    id: int
    organization_id: int | None
    role: str

    @classmethod
    def of(cls, account) -> "Reader":
        return cls(account.id, account.organization_id, account.role)


class _NotLookedUp(ColumnBase):
    """A label column as SQLite's planner may not look up in an index (SQLite's unary +).

    The three comparisons of the rule are an OR over the label, each term indexable, so SQLite
    read the rule as "every meeting of these labels" through the label index: with five labels
    that is nearly every row of every year, before the conditions that narrow the rows down
    (not yet ended, changed this fortnight) or the order a LIMIT stops in (by start) are used.
    Without the label index it takes those instead. PostgreSQL plans from statistics and has
    no unary + for text: there the column is written as it is."""

    def __init__(self, column):
        super().__init__()
        self.column = column

    def __sql__(self, ctx):
        if is_sqlite():
            ctx.literal("+")
        return ctx.sql(self.column)


def _label_in(label_field, labels) -> Expression:
    # The values converted as the field would convert them: the wrapper is not a field.
    return Expression(
        _NotLookedUp(label_field), OP.IN, [label_field.db_value(label) for label in labels]
    )


def visible_where(
    account, label_field, item_field, organizations, persons, row_columns: tuple = ()
) -> Expression:
    """The same rule as `can_see`, as a WHERE clause for lists, so filtering happens in SQL.

    `organizations(org_id)` and `persons(account_id)` are callables returning either a
    sub-select of item ids that name that organisation / that person, or a condition on the
    row itself (its own columns and those of rows the query joins, listed in `row_columns`).
    Either way the number of queries does not grow with the data; a condition on the row also
    keeps the work to the rows the query looks at, where a sub-select of every item naming an
    organisation is read in full, and grows with the years. The clause is compiled once per
    account and position (platform.compiled): everything it depends on is in the key, including
    where the joined columns sit.
    """
    organization_id, account_id = account.organization_id, account.id

    def naming(found):
        return item_field.in_(found) if isinstance(found, SelectBase) else found

    def build():
        clause = _label_in(label_field, FORUM_LABELS)
        if organization_id is not None:
            clause |= _label_in(label_field, ORGANIZATION_LABELS) & naming(
                organizations(organization_id)
            )
        return clause | (_label_in(label_field, (RED,)) & naming(persons(account_id)))

    key = (
        "visible_where",
        label_field.name,
        item_field.name,
        qualified_name(organizations, "visible_where"),
        qualified_name(persons, "visible_where"),
        organization_id,
        account_id,
    )
    return Compiled(key, (label_field, item_field, *row_columns), build)


def label_choices(exclude=()) -> list[tuple[str, str]]:
    """Select options for every label field: plain words first, the TLP name for those who
    know it, then one line on who sees it ("Alle im Forum (TLP:GREEN) – …")."""
    return [
        (label.value, f"{label.label} ({label.tlp}) – {label.description}")
        for label in Label
        if label not in exclude
    ]


def split_visible(candidates: Select, visible: Expression) -> tuple[list, int]:
    """The items of a bulk action the actor may see, and how many others were left out.

    Every action that touches several labelled items at once (a series edit, and whatever
    comes later: bulk cancellations, mailings, exports) takes its candidates through here, so
    that acting on what one can see never reads, changes or reveals what one cannot.
    `visible` is the area's SQL twin of `can_see` for the actor (e.g. the calendar's
    `visible_clause(account)`). One query: each row carries whether it is visible, and the
    rows that are not are dropped here; only their number leaves this function.
    """
    flag = Case(None, [(visible, 1)], 0).alias("_visible_to_actor")
    shown, skipped = [], 0
    for item in candidates.select_extend(flag):
        if item._visible_to_actor:
            shown.append(item)
        else:
            skipped += 1
    return shown, skipped

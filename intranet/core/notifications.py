"""Being told: how each person wants their notifications (at once, in one daily summary, or
not at all, per topic), and the notifications nobody's click causes, which the delivery loop
writes itself (reminders, deadlines, the daily summary).

Every notification goes through `tell()`, which follows the person's choice; what one must not
miss (their account's security, their own review queue when they are the only reviewer) is
queued with `must=True` and always goes out at once. Mails about one's account do not come
through here at all (auth.mail queues them directly).

The delivery loop (core.outbox) calls `run_periodic()`: each area registers its jobs in the
registry (`core.areas`); a job queues each of its notifications at most once per person and occasion
(`first_time`, a unique row written in the same transaction), so a second pass or a second
instance on the same database sends nothing twice.
"""

import datetime as dt
import logging
import time

from flask import current_app, has_request_context, request, url_for

from intranet.core import mail
from intranet.core.accounts import Role
from intranet.core.areas import registry
from intranet.core.ids import ref
from intranet.core.models import DigestEntry, MailOnce, NotificationSettings, SiteSetting
from intranet.platform.db import release_connection, utcnow, write_transaction
from intranet.platform.enums import LabelledEnum
from intranet.platform.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)


class Delivery(LabelledEnum):
    """How a person wants one topic's mail (a column of NotificationSettings per topic)."""

    NOW = "now", _l("At once, one mail each")
    DAILY = "daily", _l("Once a day, in one summary")
    OFF = "off", _l("No mail")


class Topic(LabelledEnum):
    """What mail is about; each is a column of NotificationSettings, named like the member."""

    INVITATIONS = "invitations", _l("Invitations to meetings, their changes and cancellations")
    REMINDERS = "reminders", _l("Reminders before meetings you accepted")
    REVIEW = "review", _l("Minutes waiting for your review")
    MINUTES = (
        "minutes",
        _l(
            "Minutes you wrote or may read: returned, in circulation, objections, deadlines, "
            "released"
        ),
    )
    ACTION_ITEMS = "action_items", _l("Action items you are responsible for: new and due")


# The members under the names the areas spell them with (`notifications.REVIEW`).
NOW, DAILY, OFF = Delivery
CHOICES = tuple(Delivery)
INVITATIONS, REMINDERS, REVIEW, MINUTES, ACTION_ITEMS = Topic
TOPICS = tuple(Topic)
# Only reviewers review; everyone else is not asked about it.
TOPICS_OF_ROLE = {
    Role.REVIEWER: TOPICS,
    Role.ADMIN: tuple(t for t in TOPICS if t != REVIEW),
    Role.COORDINATOR: tuple(t for t in TOPICS if t != REVIEW),
    Role.MEMBER: tuple(t for t in TOPICS if t != REVIEW),
}
# Coordinators act on what happens to minutes and members are asked to read them; reviewers
# hear of their own queue at once, of the later steps in the day's summary, as admins do.
# Everything else comes at once.
DEFAULTS = {(Role.ADMIN, MINUTES): DAILY, (Role.REVIEWER, MINUTES): DAILY}
DEFAULT_HOUR = 7
# How often the delivery loop looks for reminders, deadlines and summaries to write.
PERIODIC_SECONDS = 300


def default(role: str, topic: str) -> str:
    return DEFAULTS.get((role, topic), NOW)


def settings_of(account) -> NotificationSettings:
    """The person's settings; unsaved defaults when they never chose."""
    found = NotificationSettings.get_or_none(NotificationSettings.account == account.id)
    return found or NotificationSettings(account=account.id, digest_hour=DEFAULT_HOUR)


def choices_of(account, settings: NotificationSettings | None = None) -> dict[str, str]:
    """Topic → choice, with the role's defaults where the person never chose."""
    settings = settings or settings_of(account)
    return {
        topic: getattr(settings, topic) or default(account.role, topic)
        for topic in TOPICS_OF_ROLE.get(account.role, TOPICS)
    }


def save(account, choices: dict[str, str], digest_hour: int, alarm_minutes: int | None) -> None:
    """Store the person's choices (a topic left out keeps its default)."""
    values = {topic: choices[topic] if choices.get(topic) in CHOICES else None for topic in TOPICS}
    values.update(digest_hour=max(0, min(int(digest_hour), 23)), alarm_minutes=alarm_minutes)
    with write_transaction():
        NotificationSettings.insert(account=account.id, **values).on_conflict(
            conflict_target=[NotificationSettings.account],
            update={getattr(NotificationSettings, key): value for key, value in values.items()},
        ).execute()


def only_reviewer(account) -> bool:
    """Whether `account` is the forum's only active reviewer: then minutes waiting for review
    wait for them alone, and that mail always goes out at once."""
    from intranet.core.accounts import Account

    if account.role != Role.REVIEWER:
        return False
    others = Account.select().where(
        (Account.role == Role.REVIEWER) & (Account.active == True) & (Account.id != account.id)  # noqa: E712
    )
    return not others.exists()


def choice(account, topic: str) -> str:
    settings = _cached_settings().get(account.id)
    if settings is None:
        settings = settings_of(account)
    return getattr(settings, topic) or default(account.role, topic)


def prefetch(accounts) -> None:
    """Read the settings of many recipients in one query (a plenary's invitation), for the rest
    of this request."""
    if not has_request_context():
        return
    ids = [a.id for a in accounts]
    cache = _cached_settings()
    rows = {
        row.account_id: row
        for row in NotificationSettings.select().where(NotificationSettings.account.in_(ids))
    }
    for account in accounts:
        cache[account.id] = rows.get(account.id) or NotificationSettings(account=account.id)


def _cached_settings() -> dict:
    # Per request only: the delivery thread lives for days and must see changed choices.
    if not has_request_context():
        return {}
    from flask import g

    if "notification_settings" not in g:
        g.notification_settings = {}
    return g.notification_settings


def first_time(account, key: str) -> bool:
    """Claim the notification `key` for `account` in the current transaction: True only for
    the first to ask (a concurrent asker waits for this transaction, then gets False)."""
    inserted = (
        MailOnce.insert(account=account.id, key=key[:80], at=utcnow())
        .on_conflict_ignore()
        .as_rowcount()
        .execute()
    )
    return bool(inserted)


ENVELOPE = ("about", "caused_by", "attachments", "batch")


def tell(
    kind: str,
    account,
    topic: str,
    link: str,
    *,
    must=False,
    once=None,
    shared=None,
    kept_at=None,
    **queue_args,
):
    """Queue the mail of `kind` to `account` as they chose for `topic` (call inside the
    transaction of what it reports): at once, kept for the daily summary, or not at all.
    `must`: at once whatever they chose. `once`: a key; the notification goes to this person
    only the first time. `shared`: a dict the caller keeps while telling many people a text
    that names none of them: each language's text is composed once. `kept_at`: when what it
    reports happened, for the daily summary (a mail job written later). Returns the outbox row,
    or None."""
    if not mail.enabled() or not account.email:
        return None
    remember_address()
    queue_args.setdefault("preferences", preferences_link())
    how = NOW if must else choice(account, topic)
    if how == OFF or (once and not first_time(account, once)):
        return None
    composed = _composed(kind, account, link, shared, queue_args)
    if how == DAILY:
        DigestEntry.create(account=account.id, topic=topic, subject=composed.subject[:1000],
                           link=link[:1000], about=queue_args.get("about", "")[:60],
                           created_at=kept_at or utcnow())  # fmt: skip
        return None
    return mail.queue(
        kind, account.email, account=account, link=link, composed=composed, **queue_args
    )


def _composed(kind, account, link, shared, queue_args) -> mail.Composed:
    language = mail.language_of(account)
    # What the text is made of (the envelope and the files aside).
    context = {k: v for k, v in queue_args.items() if k not in ENVELOPE}
    key = (kind, language, link, repr(sorted(context.items())))
    if shared is not None and key in shared:
        return shared[key]
    composed = mail.compose(
        kind, language, account=account, recipient=account.email, link=link, **context
    )
    if shared is not None:
        shared[key] = composed
    return composed


# --- The address links in mails point to --------------------------------------------------------

# An address kept before only admins' requests taught it (under the key "public_url") may have
# come from anyone's Host header: it is no longer read.
ADDRESS_KEY = "mail_address"


def remember_address() -> None:
    """Keep the address under which an admin uses the intranet, for the links in every mail,
    unless INTRANET_PUBLIC_URL sets it. Only an admin's request teaches it: the Host header of
    any other request is whatever its sender wrote, and a member's forged one would otherwise
    send every later mail's links to a site of their choice."""
    if not has_request_context() or current_app.config.get("PUBLIC_URL"):
        return
    from flask import g
    from flask_login import current_user

    if g.get("address_remembered"):
        return
    g.address_remembered = True
    if not (current_user.is_authenticated and current_user.role == Role.ADMIN):
        return
    root = request.url_root
    stored = SiteSetting.get_or_none(SiteSetting.key == ADDRESS_KEY)
    if stored is None or stored.value != root:
        SiteSetting.insert(key=ADDRESS_KEY, value=root).on_conflict(
            conflict_target=[SiteSetting.key], update={SiteSetting.value: root}
        ).execute()


def public_url() -> str:
    """INTRANET_PUBLIC_URL, else the address an admin last used, else http://localhost/."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured if configured.endswith("/") else configured + "/"
    stored = SiteSetting.get_or_none(SiteSetting.key == ADDRESS_KEY)
    return stored.value if stored else "http://localhost/"


def learn_address() -> dict:
    """Remember the address of the admin's request (the mail page), and say which address links
    in mails use and whether INTRANET_PUBLIC_URL sets it."""
    with write_transaction():
        remember_address()
    return {"url": public_url(), "configured": bool(current_app.config.get("PUBLIC_URL"))}


def link(endpoint: str, **values) -> str:
    """The full address of a page for a mail: under `public_url()`, never under the address
    the current request came in on (written in a member's request, a mail would otherwise carry
    that request's Host header)."""
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return public_url() + path.lstrip("/")


# --- Checking an item again when the summary is written ---------------------------------------

# What a summary line says of an item its label no longer lets a mail name, per topic.
NEUTRAL = {
    INVITATIONS: _l("News about a meeting you are invited to"),
    REMINDERS: _l("Reminder: a meeting you accepted is coming up"),
    REVIEW: _l("Minutes wait for your review"),
    MINUTES: _l("News about minutes you may read"),
    ACTION_ITEMS: _l("News about an action item of yours"),
}


def may_name(about: str, account, checked: dict | None = None) -> bool | None:
    """What the item `about` names ("meeting:12") is to `account` now, by its area's rule (see
    `core.areas.Registry.mail_rule`); True for a mail about no item (an account's, the admin's test). `checked`:
    a dict kept while asking about many mails, so that each item is looked up once."""
    kind, _sep, item_id = (about or "").partition(":")
    rule = registry().mail_rules.get(kind)
    if rule is None or not item_id.isdigit():
        return True
    if checked is None:
        return rule(int(item_id), account)
    if about not in checked:
        checked[about] = rule(int(item_id), account)
    return checked[about]


def still_to_tell(account, entries) -> list:
    """The summary entries as the item and its label are now: an entry about an item `account`
    may no longer see is left out, one whose item a mail may no longer name says only what
    kind of news it is (the subject was written hours ago, under what held then). An entry
    kept before entries noted their item is told as it was written."""
    told, checked = [], {}
    for entry in entries:
        named = may_name(entry.about, account, checked)
        if named is None:
            continue
        if not named:
            entry.subject = NEUTRAL.get(entry.topic, NEUTRAL[INVITATIONS])
        told.append(entry)
    return told


# --- Periodic jobs (each area registers its own: core.areas) ------------------------------------


def run_periodic(now: dt.datetime | None = None, force: bool = False) -> None:
    """Run every registered job and then the daily summaries, each in a fresh request context
    with the intranet's address (for links). At most every PERIODIC_SECONDS unless `force`."""
    if not mail.enabled():
        return
    app = current_app._get_current_object()
    # Per app: each instance (and each test's app) keeps its own pace.
    last = app.extensions.get("notifications_last_run")
    if not force and last is not None and time.monotonic() - last < PERIODIC_SECONDS:
        return
    app.extensions["notifications_last_run"] = time.monotonic()
    now = now or utcnow()
    with app.app_context():
        base = public_url()
    for job in [*registry(app).periodic, send_summaries]:
        try:
            with app.app_context(), app.test_request_context(base_url=base):
                job(now)
        except Exception:
            log.exception("notification job %s failed; trying again later", job.__name__)
        finally:
            release_connection()


def _summary_mark(now: dt.datetime, hour: int) -> dt.datetime:
    """The last moment (local time, naive) the person's summary was due: today at their hour,
    or yesterday's if that is still to come."""
    from intranet.core import times

    local = times.to_local(now).replace(tzinfo=None)
    mark = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return mark if mark <= local else mark - dt.timedelta(days=1)


def send_summaries(now: dt.datetime) -> int:
    """Queue each person's daily summary of what was kept for it before their hour; the
    entries go with it. Returns how many summaries were queued."""
    from intranet.core import times
    from intranet.core.accounts import Account

    waiting = {
        row.account_id
        for row in DigestEntry.select(DigestEntry.account).distinct()
    }  # fmt: skip
    queued = 0
    for account in Account.select().where(Account.id.in_(list(waiting) or [0])):
        settings = settings_of(account)
        mark = _summary_mark(now, settings.digest_hour)
        mark_utc = times.to_utc(mark, shift_gap=True)
        with write_transaction():
            if not account.active or not account.email:
                DigestEntry.delete().where(DigestEntry.account == account.id).execute()
                continue
            due = DigestEntry.select().where(
                (DigestEntry.account == account.id) & (DigestEntry.created_at < mark_utc)
            )
            entries = list(due.order_by(DigestEntry.created_at, DigestEntry.id))
            if not entries:
                continue
            told = still_to_tell(account, entries)
            if not told:
                DigestEntry.delete().where(DigestEntry.id.in_([e.id for e in entries])).execute()
                continue
            if not first_time(account, f"summary:{mark:%Y-%m-%d}"):
                continue
            mail.queue(
                "summary",
                account.email,
                account=account,
                about=ref("account", account.id),
                entries=told,
                preferences=preferences_link(),
            )
            DigestEntry.delete().where(DigestEntry.id.in_([e.id for e in entries])).execute()
            queued += 1
    return queued


def preferences_link() -> str:
    return link("auth.account", _anchor="notifications")


def forget_account(account, **_ignored):
    for model in (NotificationSettings, DigestEntry, MailOnce):
        model.delete().where(model.account == account.id).execute()

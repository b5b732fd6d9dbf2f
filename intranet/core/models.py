"""Tables shared by all areas: the audit log, the admin's site settings, workflow history,
the mail outbox."""

from peewee import (
    AutoField,
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from intranet.core.accounts import Account
from intranet.platform.db import BaseModel, utcnow
from intranet.platform.enums import LabelledEnum
from intranet.platform.i18n import lazy_gettext as _l


class MailState(LabelledEnum):
    """Where a queued mail stands (`OutboxMessage.state`, see core.outbox), as the admin's list
    of mails names it."""

    QUEUED = "queued", _l("waiting")
    SENT = "sent", _l("delivered")
    FAILED = "failed", _l("failed")


class AuditEvent(BaseModel):
    """One security-relevant event. Entries form a SHA-256 hash chain (see core.audit)."""

    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    # A plain number, not a foreign key: the log outlives erased accounts.
    actor_id = IntegerField(null=True, index=True)
    actor_label = CharField(default="")
    action = CharField(index=True)
    target = CharField(default="")
    detail = TextField(default="")
    address = CharField(default="")
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    # How many times it happened: refused reads are counted per account, item and time window
    # and written as one entry (core.audit.record_refused). Empty for everything else, so that
    # an entry written while the schema predates the column (the backup before `db upgrade`,
    # a restored older archive) does not name it.
    attempts = IntegerField(null=True)

    PERSONAL_DATA = {
        "actor_id": _l("Who did a security-relevant action (accountability, BSI)."),
        "actor_label": _l("Email of the actor at the time, for the audit log."),
        "address": _l("Client address of the action, for the audit log."),
        "target": _l("Which record the action concerned."),
        "detail": _l("What changed, without content of the record."),
        "at": _l("When the action took place."),
    }
    NOT_PERSONAL_DATA = ("id", "action", "prev_hash", "hash", "attempts")


class RefusedRead(BaseModel):
    """Refused reads of one item by one account in one time window, counted here (one row, its
    number raised) until core.audit writes them into the hash chain as one entry."""

    id = AutoField()
    window_start = DateTimeField()
    actor_id = IntegerField()  # a plain number, as in AuditEvent
    actor_label = CharField(default="")
    action = CharField()
    target = CharField()
    detail = TextField(default="")
    address = CharField(default="")
    first_at = DateTimeField()
    attempts = IntegerField(default=1)

    class Meta:
        indexes = ((("actor_id", "target", "window_start"), True),)

    # What the audit entry will hold, for the same purposes.
    PERSONAL_DATA = {
        **{name: purpose for name, purpose in AuditEvent.PERSONAL_DATA.items() if name != "at"},
        "first_at": AuditEvent.PERSONAL_DATA["at"],
    }
    NOT_PERSONAL_DATA = ("id", "window_start", "action", "attempts")


class SiteSetting(BaseModel):
    """A value the admin can change at run time (imprint address, privacy notice, …)."""

    key = CharField(primary_key=True)
    value = TextField(default="")

    PERSONAL_DATA: dict = {}
    NOT_PERSONAL_DATA = ("key", "value")


class WorkflowEvent(BaseModel):
    """One step of a document through its workflow (core.workflow): who moved it, when, from
    which state to which, and why. Shown as the document's timeline."""

    id = AutoField()
    item_kind = CharField(max_length=40)
    item_id = IntegerField()
    actor = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    # The name at the time; after erasure the pseudonym, so the timeline stays readable.
    actor_label = CharField(default="")
    at = DateTimeField(default=utcnow)
    action = CharField(max_length=40)
    from_state = CharField(max_length=40)
    to_state = CharField(max_length=40)
    comment = TextField(default="")

    PERSONAL_DATA = {
        "actor": _l("Who moved a document on in its workflow (accountability)."),
        "actor_label": _l("Name of that person, or the pseudonym after erasure."),
        "comment": _l("Comment given with a workflow step; may name persons."),
    }
    NOT_PERSONAL_DATA = ("id", "item_kind", "item_id", "at", "action", "from_state", "to_state")

    class Meta:
        indexes = ((("item_kind", "item_id", "at"), False),)


class OutboxMessage(BaseModel):
    """One mail, written in the transaction of the change that causes it and delivered later
    by `core.outbox` (requests never talk SMTP). Once sent, the body and attachments are
    dropped: the row stays as the delivery record (who, what about, when, result)."""

    id = AutoField()
    recipient = CharField(max_length=320)
    # The account the mail is for (None for the admin's test mail): erased with it.
    account = ForeignKeyField(Account, null=True, on_delete="CASCADE", backref="+")
    language = CharField(max_length=5, default="de")
    kind = CharField(max_length=40)
    subject = CharField(max_length=1000)
    text = TextField(default="")
    html = TextField(default="")
    state = CharField(max_length=10, default=MailState.QUEUED)
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_try_at = DateTimeField(default=utcnow)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    caused_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", backref="+")
    # What the mail is about ("meeting:12"), for its delivery state on that item's page.
    about = CharField(max_length=60, default="")

    PERSONAL_DATA = {
        "recipient": _l("Address a mail was sent to, for delivery and its record."),
        "account": _l("Whose mail it is, so that it goes with the account."),
        "subject": _l("Subject of a mail; may name a meeting."),
        "text": _l("Text of a mail until it is sent; may name the recipient."),
        "html": _l("The same text as HTML, until the mail is sent."),
        "last_error": _l("The mail server's answer; may repeat the address."),
        "caused_by": _l("Who caused a mail (the sender shown to coordinators)."),
        "created_at": _l("When a mail was written."),
        "sent_at": _l("When a mail was delivered."),
    }
    NOT_PERSONAL_DATA = (
        "id", "language", "kind", "state", "attempts", "next_try_at", "about",
    )  # fmt: skip

    class Meta:
        table_name = "outbox_message"
        indexes = ((("state", "next_try_at"), False), (("about", "state"), False))


class OutboxAttachment(BaseModel):
    """A file that goes with an outbox mail (the `.ics` of an invitation)."""

    id = AutoField()
    message = ForeignKeyField(OutboxMessage, on_delete="CASCADE", backref="attachments")
    name = CharField(max_length=255)
    content_type = CharField(max_length=120)
    content = BlobField()

    PERSONAL_DATA = {
        "content": _l("Calendar file of an invitation, naming the recipient as attendee."),
    }
    NOT_PERSONAL_DATA = ("id", "message", "name", "content_type")

    class Meta:
        table_name = "outbox_attachment"


class NotificationSettings(BaseModel):
    """How one person wants to be told (core.notifications): per topic at once, in the daily
    summary or not at all (None: the default for their role), the hour of the summary, and an
    alarm before each meeting in their calendar feed. No row: every default."""

    account = ForeignKeyField(Account, primary_key=True, on_delete="CASCADE", backref="+")
    invitations = CharField(max_length=10, null=True)
    reminders = CharField(max_length=10, null=True)
    review = CharField(max_length=10, null=True)
    minutes = CharField(max_length=10, null=True)
    action_items = CharField(max_length=10, null=True)
    digest_hour = IntegerField(default=7)
    alarm_minutes = IntegerField(null=True)

    PERSONAL_DATA = {
        "account": _l("Whose choices about notifications these are."),
    }
    NOT_PERSONAL_DATA = (
        "invitations", "reminders", "review", "minutes", "action_items", "digest_hour",
        "alarm_minutes",
    )  # fmt: skip

    class Meta:
        table_name = "notification_settings"


class DigestEntry(BaseModel):
    """A notification kept for the person's daily summary: its subject (as a mail could carry
    it when the notification arose), its link and what it is about ("meeting:12"), by which the
    summary checks the item again when it is written; gone once the summary is queued."""

    id = AutoField()
    account = ForeignKeyField(Account, on_delete="CASCADE", backref="+")
    topic = CharField(max_length=20)
    subject = CharField(max_length=1000)
    link = CharField(max_length=1000, default="")
    about = CharField(max_length=60, default="")
    created_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Who is to receive the daily summary."),
        "subject": _l("Subject of a notification; may name a meeting."),
        "created_at": _l("When the notification arose."),
    }
    NOT_PERSONAL_DATA = ("id", "topic", "link", "about")

    class Meta:
        table_name = "digest_entry"
        indexes = ((("account", "created_at"), False),)


class MailOnce(BaseModel):
    """A notification that goes out once per person and occasion (a reminder of one meeting,
    one day's summary): its row, unique, is written in the transaction that queues it, so that
    neither a second pass nor a second instance sends it again."""

    id = AutoField()
    account = ForeignKeyField(Account, on_delete="CASCADE", backref="+")
    key = CharField(max_length=80)
    at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Who was told, so that nobody is told twice."),
        "at": _l("When the notification was queued."),
    }
    NOT_PERSONAL_DATA = ("id", "key")

    class Meta:
        table_name = "mail_once"
        indexes = ((("account", "key"), True),)


class MailJob(BaseModel):
    """Mails to many people, written as one row in the transaction of the change (a plenary's
    invitation) and turned into the single outbox mails by the delivery loop before it sends
    (`core.outbox.expand_jobs`), so that the page answers without composing forty mails. The
    recipients are those of the moment of the change."""

    id = AutoField()
    kind = CharField(max_length=40)  # the area's expander (core.mail.expander)
    # What the expander needs, as JSON: the meetings' ids and how to mail them.
    params = TextField(default="{}")
    # The accounts to mail, as JSON, fixed when the change was made.
    accounts = TextField(default="[]")
    recipients = IntegerField(default=0)  # how many: counted as queued until expanded
    about = CharField(max_length=60, default="")
    caused_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)
    expanded_at = DateTimeField(null=True)

    PERSONAL_DATA = {
        "accounts": _l("Whom a mail about a change goes to, until the mails are written."),
        "params": _l(
            "For a series: which of its dates each person is invited to, until the mails are "
            "written."
        ),
        "caused_by": _l("Who caused a mail (the sender shown to coordinators)."),
        "created_at": _l("When a mail was written."),
    }
    NOT_PERSONAL_DATA = ("id", "kind", "recipients", "about", "expanded_at")

    class Meta:
        table_name = "mail_job"
        indexes = ((("expanded_at", "id"), False), (("about", "expanded_at"), False))

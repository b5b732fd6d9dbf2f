"""Mail for every area, in one way: `queue()` renders a kind's text and HTML templates in the
recipient's language and writes the message into the outbox, inside the caller's transaction;
`core.outbox` delivers it later over `connect()`. Requests never talk SMTP.

Settings INTRANET_MAIL_*: without INTRANET_MAIL_SERVER nothing is queued and the pages say that
mail is off. STARTTLS always with a verified certificate.
"""

import json
import re
import smtplib
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formataddr

from flask import current_app
from flask_babel import force_locale

from intranet.core.models import MailJob, OutboxAttachment, OutboxMessage
from intranet.platform.config import LANGUAGES
from intranet.platform.db import is_sqlite

# What a stored address must look like to be handed to the mail server at all.
ADDRESS = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]+")


class MailError(Exception):
    """The mail server could not be reached or refused the login."""


class UnsafeHeader(ValueError):
    """A header value with a line break: written as it is, it would start a header of its own
    (a Bcc, say). Titles are put on one line before they reach a subject; anything else with a
    line break is refused here."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str  # with parameters: "text/calendar; method=REQUEST"
    content: bytes


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def enabled() -> bool:
    """Whether this installation sends mail at all (INTRANET_MAIL_SERVER is set)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def sender() -> str:
    """INTRANET_MAIL_FROM, else intranet@ the mail server's host name."""
    config = current_app.config
    if config.get("MAIL_FROM"):
        return config["MAIL_FROM"]
    host = str(config["MAIL_SERVER"]).rsplit(":", 1)[0]
    return f"intranet@{host}"


def from_header() -> str:
    """The sender with the forum's name, so that people see whose intranet writes to them."""
    name = str(current_app.config["FORUM_NAME"])
    return formataddr((check_header(name), check_header(sender())))


def check_header(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise UnsafeHeader(f"line break in a header value: {value[:60]!r}")
    return value


def one_line(text: str) -> str:
    """A title or name as it may stand in a subject: every line break and run of spaces one space."""
    return " ".join(str(text).split())


def language_of(account) -> str:
    # Mail goes out in the language the person chose; German when they never chose one.
    language = getattr(account, "language", None)
    return language if language in LANGUAGES else "de"


def _text_environment(app):
    """The app's templates for plain text: a line that holds only a tag leaves no line behind,
    so the text templates can be written as the mail reads."""
    environment = app.extensions.get("mail_text_templates")
    if environment is None:
        environment = app.jinja_env.overlay(
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
        )
        app.extensions["mail_text_templates"] = environment
    return environment


def compose(kind: str, language: str, **context) -> Composed:
    """Subject, text and HTML of one mail of `kind`, from `templates/mail/<kind>.txt` (which sets
    `subject`) and `templates/mail/<kind>.html` (autoescaped), translated into `language`."""
    app = current_app._get_current_object()
    context = {"forum": app.config["FORUM_NAME"], "language": language, **context}
    with force_locale(language):
        module = _text_environment(app).get_template(f"mail/{kind}.txt").make_module(context)
        subject = one_line(str(module.subject))
        text = str(module).strip() + "\n"
        html = app.jinja_env.get_template(f"mail/{kind}.html").render(subject=subject, **context)
    return Composed(subject, text, html)


def queue(
    kind: str,
    recipient: str,
    *,
    account=None,
    language: str | None = None,
    about: str = "",
    caused_by=None,
    attachments=(),
    composed: Composed | None = None,
    batch: "Batch | None" = None,
    **context,
) -> OutboxMessage | None:
    """Write one mail into the outbox (call inside the transaction of the change it reports);
    None when mail is off. `account` is whose mail it is (its language, its erasure); `about`
    names the item whose page shows the delivery state ("meeting:12"); `composed`: the text,
    when the caller composed it once for many recipients (a mail that names none of them);
    `batch`: collect the mail there (see `batch()`) instead of writing it at once."""
    if not enabled():
        return None
    check_header(recipient)
    language = language or language_of(account)
    if composed is None:
        composed = compose(kind, language, account=account, recipient=recipient, **context)
    values = dict(
        recipient=recipient.strip(),
        account=account.id if account is not None else None,
        language=language,
        kind=kind,
        subject=composed.subject[:1000],
        text=composed.text,
        html=composed.html,
        caused_by=getattr(caused_by, "id", caused_by),
        about=about,
    )
    files = [
        dict(
            name=check_header(attachment.name),
            content_type=check_header(attachment.content_type),
            content=attachment.content,
        )
        for attachment in attachments
    ]
    if batch is not None:
        batch.add(values, files)
        return OutboxMessage(**values)
    row = OutboxMessage.create(**values)
    for file in files:
        OutboxAttachment.create(message=row.id, **file)
    return row


# Rows per INSERT: well below SQLite's and PostgreSQL's limits on bound values per statement.
CHUNK = 200


@dataclass
class Batch:
    """Mails collected while queueing to many recipients, written by `write()` with one INSERT
    per table (a plenary's invitation: one statement instead of eighty)."""

    messages: list = field(default_factory=list)
    files: list = field(default_factory=list)  # one list of attachments per message

    def add(self, values: dict, files: list) -> None:
        self.messages.append(values)
        self.files.append(files)

    def write(self) -> None:
        for start in range(0, len(self.messages), CHUNK):
            messages = self.messages[start : start + CHUNK]
            ids = _insert_messages(messages)
            attachments = [
                {"message": message_id, **file}
                for message_id, files in zip(ids, self.files[start : start + CHUNK], strict=True)
                for file in files
            ]
            for first in range(0, len(attachments), CHUNK):
                OutboxAttachment.insert_many(attachments[first : first + CHUNK]).execute()
        self.messages, self.files = [], []


def _insert_messages(messages: list[dict]) -> list[int]:
    """Insert `messages` with one statement and return their ids in the same order."""
    query = OutboxMessage.insert_many(messages)
    if not is_sqlite():
        return [row[0] for row in query.returning(OutboxMessage.id).tuples().execute()]
    # SQLite gives one statement's rows consecutive ids (it holds the write lock, and each new
    # id is the largest plus one); the cursor names the last.
    last = query.execute()
    return list(range(last - len(messages) + 1, last + 1))


@contextmanager
def batch():
    """Collect the mails queued with `batch=` inside the block; write them when it ends
    (inside the caller's transaction, like every mail). Nothing is written on an error."""
    collected = Batch()
    yield collected
    collected.write()


# --- Mass mails as one job ------------------------------------------------------------------

# Job kind → what the area does with its jobs: "expand" (job, accounts, batch=, **params) queues
# the job's mails (with `batch=`); "describe" (job, params, account, viewer) → what the access
# export says of the mails it will write to `account`; "forget" (params, account_id) → the
# params without what they keep about one account, when it is erased.
_job_kinds: dict[str, dict] = {}


def _register(kind: str, part: str):
    def register(function):
        _job_kinds.setdefault(kind, {})[part] = function
        return function

    return register


def expander(kind: str):
    """Register the function that turns a job of `kind` into its mails (core.outbox runs it in
    the delivery loop, in a request context with the intranet's address)."""
    return _register(kind, "expand")


def describer(kind: str):
    """Register what a person's access export says of a pending job of `kind` (see above)."""
    return _register(kind, "describe")


def forgetter(kind: str):
    """Register how a pending job of `kind` forgets an erased account in its params."""
    return _register(kind, "forget")


def queue_job(kind: str, accounts, *, about: str = "", caused_by=None, **params) -> MailJob | None:
    """Write one row for the mails of `kind` to `accounts` (call inside the transaction of the
    change): the delivery loop writes the single mails before it sends. The page counts them
    as queued from now on. None when mail is off or nobody is to be mailed."""
    if not enabled() or not accounts:
        return None
    ids = [getattr(account, "id", account) for account in accounts]
    return MailJob.create(
        kind=kind,
        params=json.dumps(params),
        accounts=json.dumps(ids),
        recipients=len(ids),
        about=about,
        caused_by=getattr(caused_by, "id", caused_by),
    )


def expand(job: MailJob) -> None:
    """Queue the mails of `job` (inside the caller's transaction)."""
    from intranet.core.accounts import Account

    ids = json.loads(job.accounts)
    # An account erased since is no longer mailed; the others in the order of the change.
    found = {a.id: a for a in Account.select().where(Account.id.in_(ids))} if ids else {}
    accounts = [found[i] for i in ids if i in found]
    with batch() as collected:
        _job_kinds[job.kind]["expand"](job, accounts, batch=collected, **json.loads(job.params))


def _pending_with(account_id: int):
    """The jobs not written yet that will mail `account_id`, with their account lists. Few at
    any time (the delivery loop writes them within minutes): read whole, not searched."""
    for job in MailJob.select().where(MailJob.expanded_at.is_null()).order_by(MailJob.id):
        ids = json.loads(job.accounts)
        if account_id in ids:
            yield job, ids


def pending_for(account, viewer=None) -> list[dict]:
    """What the access export lists of the mails to `account` that pending jobs will write:
    what they are about and, from the area, what the mails will say as far as `viewer` (the
    exporting account) may see it."""
    entries = []
    for job, _ids in _pending_with(account.id):
        entry = {"about": job.about, "written_at_utc": job.created_at.isoformat()}
        describe = _job_kinds.get(job.kind, {}).get("describe")
        if describe is not None:
            entry.update(describe(job, json.loads(job.params), account, viewer))
        entries.append(entry)
    return entries


def connect() -> smtplib.SMTP:
    """An SMTP connection to the configured server, logged in where configured. Raises MailError."""
    config = current_app.config
    host, _sep, port = str(config["MAIL_SERVER"]).rpartition(":")
    if not host:
        host, port = port, "25"
    smtp = None
    try:
        smtp = smtplib.SMTP(host, int(port), timeout=15)
        if config.get("MAIL_STARTTLS"):
            # A verifying context: smtplib's default would accept any certificate.
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except (OSError, smtplib.SMTPException, ValueError) as error:
        if smtp is not None:
            smtp.close()
        raise MailError(str(error) or type(error).__name__) from error
    return smtp


def forget_account(account, **_ignored):
    """An erased person's mails go (their address and text are about them); what others were
    mailed because of this person stays, without the reference."""
    # First the pending jobs, so that they do not mail them either (on SQLite a new account may
    # be given the erased one's number). A job being written right now is waited for; the
    # mails it wrote are then removed with the others below.
    for job, ids in list(_pending_with(account.id)):
        ids = [i for i in ids if i != account.id]
        params = json.loads(job.params)
        forget = _job_kinds.get(job.kind, {}).get("forget")
        if forget is not None:
            params = forget(params, account.id)
        MailJob.update(
            accounts=json.dumps(ids), recipients=len(ids), params=json.dumps(params)
        ).where((MailJob.id == job.id) & MailJob.expanded_at.is_null()).execute()
    OutboxMessage.delete().where(OutboxMessage.account == account.id).execute()
    OutboxMessage.update(caused_by=None).where(OutboxMessage.caused_by == account.id).execute()

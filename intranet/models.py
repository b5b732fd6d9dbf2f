"""MODELS: every table, in dependency order. Migrations create them; tests compare against them."""

from intranet.attachments.models import Attachment
from intranet.auth.models import (
    LoginFailure,
    PasswordLink,
    RecoveryCode,
    SavedForm,
    SecondFactor,
    SetupToken,
)
from intranet.core.accounts import Account, Organization
from intranet.core.fulltext import SearchEntry
from intranet.core.models import (
    AuditEvent,
    DigestEntry,
    MailJob,
    MailOnce,
    NotificationSettings,
    OutboxAttachment,
    OutboxMessage,
    RefusedRead,
    SiteSetting,
    WorkflowEvent,
)
from intranet.directory.models import Membership, Person
from intranet.meetings.models import MODELS as MEETING_MODELS
from intranet.minutes.models import MODELS as MINUTES_MODELS
from intranet.oparl.models import MODELS as OPARL_MODELS
from intranet.pages.models import BarrierReport

MODELS = [
    Organization,
    Account,
    LoginFailure,
    SetupToken,
    SecondFactor,
    RecoveryCode,
    PasswordLink,
    SavedForm,
    AuditEvent,
    RefusedRead,
    SiteSetting,
    BarrierReport,
    Person,
    Membership,
    *MEETING_MODELS,
    Attachment,
    # The full-text side tables (FTS5 `search_text` on SQLite, `search_document` on
    # PostgreSQL) are not listed: each exists on one kind of database only, and SQLite's
    # virtual table with its shadow tables is no table Peewee could compare columns of.
    # Migration 0004 makes them; tests/test_search.py checks that they answer.
    SearchEntry,
    WorkflowEvent,
    *MINUTES_MODELS,
    *OPARL_MODELS,
    OutboxMessage,
    OutboxAttachment,
    NotificationSettings,
    DigestEntry,
    MailOnce,
    MailJob,
]

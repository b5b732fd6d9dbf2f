"""MODELS: every table, in dependency order. Migrations create them; tests compare against them."""

from intranet.auth.models import Account, LoginFailure, Organization, SetupToken
from intranet.core.models import AuditEvent, SiteSetting, WorkflowEvent
from intranet.directory.models import Membership, Person
from intranet.meetings.models import MODELS as MEETING_MODELS
from intranet.minutes.models import MODELS as MINUTES_MODELS
from intranet.pages.models import BarrierReport

MODELS = [
    Organization,
    Account,
    LoginFailure,
    SetupToken,
    AuditEvent,
    SiteSetting,
    BarrierReport,
    Person,
    Membership,
    *MEETING_MODELS,
    WorkflowEvent,
    *MINUTES_MODELS,
]

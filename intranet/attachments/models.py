"""The attachment record (OParl File): what was uploaded, to which item, under which label."""

from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, IntegerField

from intranet.core import sharing
from intranet.core.accounts import Account
from intranet.platform.db import BaseModel, utcnow
from intranet.platform.i18n import lazy_gettext as _l


class Attachment(BaseModel):
    """One stored file. `owner_kind`/`owner_id` name the item it belongs to (a meeting, an agenda
    item, a set of minutes); the owner's area decides who may see that item, the file's own
    label can only narrow it."""

    id = AutoField()
    owner_kind = CharField(max_length=30)
    owner_id = IntegerField()
    label = CharField(default=sharing.DEFAULT)
    name = CharField(max_length=300)  # OParl name: the title shown in lists
    file_name = CharField(max_length=255)  # OParl fileName: cleaned name offered on download
    mime_type = CharField(max_length=100)  # OParl mimeType, from the checked file type
    size = IntegerField()  # OParl size, bytes
    sha256 = CharField(max_length=64)
    # Random name of the file under DATA_DIR/attachments; never derived from user input.
    storage_key = CharField(max_length=64, unique=True)
    created_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("owner_kind", "owner_id"), False),)

    PERSONAL_DATA = {
        "created_by": _l("Who uploaded the file (accountability)."),
        "name": _l("Title of the file; may name people."),
        "file_name": _l("Name of the file; may name people."),
    }
    NOT_PERSONAL_DATA = (
        "id",
        "owner_kind",
        "owner_id",
        "label",
        "mime_type",
        "size",
        "sha256",
        "storage_key",
        "created_at",
    )

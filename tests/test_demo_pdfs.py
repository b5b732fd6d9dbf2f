"""Every PDF the demo data produces passes the PDF/UA checker without error or warning: the
files stored with meetings and minutes, and the minutes' PDF as the coordination and a member
take it from the minutes page."""

import pytest

from intranet.attachments.models import Attachment
from intranet.attachments.services import stored_path
from intranet.core.accounts import Account
from intranet.minutes import access, export
from intranet.minutes.models import RELEASED, Minutes
from intranet.platform.errors import NotFound

pdfua = pytest.importorskip("pdfua")


def findings(path) -> list:
    return [(f.rule_id, f.message) for f in pdfua.validate(str(path)).findings]


def test_every_pdf_of_the_demo_data_passes_pdfua(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["demo-data", "--years", "1"])
    assert result.exit_code == 0, result.output
    problems = {}
    stored = list(Attachment.select().where(Attachment.mime_type == "application/pdf"))
    assert stored
    for attachment in stored:
        problems[attachment.file_name] = findings(stored_path(attachment))
    readers = [
        Account.get(Account.role == "coordinator"),
        Account.select().where(Account.role == "member").order_by(Account.id).first(),
    ]
    released = list(Minutes.select().where(Minutes.state == RELEASED))
    assert released
    exported = 0
    for record in released:
        for reader in readers:
            with app.test_request_context():
                try:
                    context = access.get_minutes_or_404(
                        record.id, account=reader, record_view=False
                    )
                except NotFound:
                    continue  # not shared with this reader
                if not context.may(reader, "export"):
                    continue
                path = tmp_path / f"{record.id}-{reader.id}.pdf"
                path.write_bytes(export.pdf(export.prepare(context, reader)))
            problems[path.name] = findings(path)
            exported += 1
    assert exported
    assert {name: found for name, found in problems.items() if found} == {}

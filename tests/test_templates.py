"""Tables and alerts are written once, in their macros, so a change to their markup
(a class, a role, the scrollable region axe asks for) reaches every page at once."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# What only the macro may write: the scrollable wrapper, the table and its caption
# (macros/tables.html); any part of a KERN alert (macros/status.html).
HAND_WRITTEN = {
    "macros/tables.html": re.compile(
        r'kern-table-responsive|class="kern-table[ "]|kern-table--|<caption'
    ),
    "macros/status.html": re.compile(r"kern-alert"),
}


def hand_written(macro_file, root=TEMPLATES):
    pattern = HAND_WRITTEN[macro_file]
    found = []
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        if name == macro_file:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_tables_come_from_the_table_macro():
    assert hand_written("macros/tables.html") == [], (
        "use {% call table(caption, id) %} from macros/tables.html"
    )


def test_alerts_come_from_the_alert_macro():
    assert hand_written("macros/status.html") == [], (
        "use alert() or {% call alert() %} from macros/status.html"
    )


def test_the_check_catches_hand_written_markup(tmp_path):
    # A guard whose pattern matched nothing would pass forever.
    (tmp_path / "page.html").write_text(
        '<div class="kern-alert kern-alert--info"></div>\n'
        '<div class="kern-table-responsive" tabindex="0">\n'
        '<table class="kern-table"><caption>Rows</caption></table>\n',
        encoding="utf-8",
    )
    assert hand_written("macros/status.html", tmp_path) == [
        'page.html:1: <div class="kern-alert kern-alert--info"></div>'
    ]
    assert [line.split(":")[1] for line in hand_written("macros/tables.html", tmp_path)] == [
        "2",
        "3",
    ]

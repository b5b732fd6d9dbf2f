"""What each entry of the daily summary is about ("meeting:12", "minutes:7"), so that the
summary checks again, when it is written, whether the person may still see the item and whether
its label still lets a mail name it."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('digest_entry', 'about', CharField(max_length=60, default='')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('digest_entry', 'about'),
    )

"""What is attached to minutes takes its audience: a comment may belong to one section, and a
version keeps the label it was written under and the sections as they were."""
from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class MinutesSection(Model):
        class Meta:
            database = db
            table_name = 'minutes_section'

    migrator.migrate(
        migrator.add_column(
            'minutes_comment',
            'section_id',
            ForeignKeyField(MinutesSection, null=True, on_delete='CASCADE', field=MinutesSection.id),
        ),
        migrator.add_column('minutes_version', 'label', CharField(default='green')),
        migrator.add_column('minutes_version', 'sections', TextField(default='[]')),
    )
    # Earlier versions were written under some label that was not kept: the minutes' label
    # today is the best that is known.
    db.execute_sql(
        'UPDATE minutes_version SET label = '
        '(SELECT label FROM minutes WHERE minutes.id = minutes_version.minutes_id)'
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('minutes_comment', 'section_id'),
        migrator.drop_column('minutes_version', 'label'),
        migrator.drop_column('minutes_version', 'sections'),
    )

"""Numbers to cite: minutes per series (or organiser) and year, decisions with their result."""
from peewee import CharField, IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('minutes', 'number_key', CharField(default='')),
        migrator.add_column('minutes', 'number_year', IntegerField(null=True)),
        migrator.add_column('minutes', 'number', IntegerField(null=True)),
        migrator.add_column('decision', 'result', CharField(default='')),
        migrator.add_column('decision', 'votes_yes', IntegerField(null=True)),
        migrator.add_column('decision', 'votes_no', IntegerField(null=True)),
        migrator.add_column('decision', 'votes_abstained', IntegerField(null=True)),
    )
    # Minutes written before get their numbers in the order their meetings took place. The
    # year is the meeting's year in UTC, which differs from Berlin's only around midnight of
    # New Year's Eve.
    rows = db.execute_sql(
        'SELECT minutes.id, meeting.series_id, meeting.organization_id, meeting.start '
        'FROM minutes JOIN meeting ON meeting.id = minutes.meeting_id '
        'WHERE minutes.corrects_id IS NULL ORDER BY meeting.start, minutes.id'
    ).fetchall()
    counters = {}
    for minutes_id, series_id, organization_id, start in rows:
        year = int(str(start)[:4])
        if series_id:
            key = f'series:{series_id}'
        elif organization_id:
            key = f'organization:{organization_id}'
        else:
            key = 'forum'
        counters[(key, year)] = counters.get((key, year), 0) + 1
        db.execute_sql(
            'UPDATE minutes SET number_key = %s, number_year = %s, number = %s WHERE id = %s'
            .replace('%s', db.param),
            (key, year, counters[(key, year)], minutes_id),
        )
    migrator.migrate(
        migrator.add_index('minutes', ('number_key', 'number_year', 'number'), unique=True)
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('minutes', 'minutes_number_key_number_year_number'),
        migrator.drop_column('minutes', 'number_key'),
        migrator.drop_column('minutes', 'number_year'),
        migrator.drop_column('minutes', 'number'),
        migrator.drop_column('decision', 'result'),
        migrator.drop_column('decision', 'votes_yes'),
        migrator.drop_column('decision', 'votes_no'),
        migrator.drop_column('decision', 'votes_abstained'),
    )

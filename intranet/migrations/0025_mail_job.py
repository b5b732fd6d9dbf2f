"""Mail jobs: one row per mass mail (a plenary's invitation), written with the change and
turned into the single outbox mails by the delivery loop (core.outbox.expand_jobs)."""

from peewee import *  # noqa: F403 (frozen copies of the models, as the runner expects)


def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = "account"

    class MailJob(Model):
        kind = CharField(max_length=40)
        params = TextField(default="{}")
        accounts = TextField(default="[]")
        recipients = IntegerField(default=0)
        about = CharField(max_length=60, default="")
        caused_by = ForeignKeyField(Account, null=True, on_delete="SET NULL", backref="+")
        created_at = DateTimeField()
        expanded_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "mail_job"
            indexes = ((("expanded_at", "id"), False), (("about", "expanded_at"), False))

    db.create_tables([MailJob])


def down(migrator, db):
    db.execute_sql("DROP TABLE mail_job")

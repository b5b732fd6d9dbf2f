"""Settings: defaults, then a `.env` file, then INTRANET_* environment variables, then overrides."""

import os
from pathlib import Path

from dotenv import load_dotenv

from intranet.platform.files import private_folder, stored_secret

DEFAULTS = {
    "DATA_DIR": "./instance",
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    # Signs backup manifests; unset: generated once as <DATA_DIR>/backup_key
    # (see intranet/backup/keys.py).
    "BACKUP_KEY": None,
    "FORUM_NAME": "Sicherheitsdialog Dresden",
    "TRUSTED_PROXIES": 0,
    # Session limits (BSI CON.10 / OWASP ASVS 7.3): idle and absolute, in minutes.
    "SESSION_IDLE_MINUTES": 60,
    "SESSION_MAX_MINUTES": 12 * 60,
    # Pages warn this long before the session ends and offer to extend it (WCAG 2.2.1).
    "SESSION_WARNING_SECONDS": 120,
    # Login throttling: failures within the window per account and per client address.
    "LOGIN_WINDOW_MINUTES": 15,
    "LOGIN_MAX_FAILURES_ACCOUNT": 10,
    "LOGIN_MAX_FAILURES_ADDRESS": 30,
    # Roles that must sign in with a second factor until the admin chooses otherwise under
    # Verwaltung → Einstellungen (BSI: MFA for privileged roles).
    "SECOND_FACTOR_ROLES": ["admin", "reviewer"],
    "AUDIT_RETENTION_DAYS": 365,
    # Ended directory memberships are offered for anonymisation this many months after their end.
    "MEMBERSHIP_RETENTION_MONTHS": 12,
    # Minutes in circulation: days participants have to object before they can be released.
    "MINUTES_OBJECTION_DAYS": 14,
    # Those who accepted a meeting are reminded of it by mail this many days before.
    "MEETING_REMINDER_DAYS": 2,
    # The intranet's address for links in mails the delivery loop writes (reminders, daily
    # summaries); unset: the address under which the intranet was last used.
    "PUBLIC_URL": None,
    # Outgoing mail: host:port; without it no mail is queued or sent and pages say so.
    "MAIL_SERVER": None,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_STARTTLS": False,
    "MAIL_FROM": None,
    # How often `python app.py` (and `mail deliver`) looks for mail to send, in seconds.
    "MAIL_INTERVAL_SECONDS": 10,
    # Largest attachment accepted, in MB (uploads are bounded by MAX_CONTENT_LENGTH as well).
    "ATTACHMENT_MAX_MB": 20,
    # Flask and extension settings that are not meant to be changed per installation.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "intranet_session",
    # The CSRF token lives as long as the session; the session limits above bound it.
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_CSRF_SSL_STRICT": True,
    "BABEL_DEFAULT_LOCALE": "de",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
}

LANGUAGES = ("de", "en")


def load_config(app, overrides=None):
    """Fill app.config; `overrides` (tests) win over the environment."""
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("INTRANET")
    if overrides:
        app.config.update(overrides)
    data_dir = private_folder(Path(app.config["DATA_DIR"]).resolve())
    app.config["DATA_DIR"] = str(data_dir)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{data_dir / 'intranet.db'}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = stored_secret(data_dir / "secret_key")[0]

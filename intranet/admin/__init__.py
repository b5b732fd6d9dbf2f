"""Administration: accounts, organisations, site settings, audit log, barrier reports."""

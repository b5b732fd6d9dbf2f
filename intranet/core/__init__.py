"""Pieces every area stands on: the audit log, site settings, pagination, time display."""

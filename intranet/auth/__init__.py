"""Accounts, organisations they belong to, sign-in, sessions and the own account page."""

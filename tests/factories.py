"""Test data: organisations and accounts, made through the same services the app uses."""

import itertools

from intranet.auth.models import Account, Organization
from intranet.auth.passwords import hash_password

PASSWORD = "lange Passphrase aus vielen Wörtern"
_counter = itertools.count(1)


def organization(name=None, **fields) -> Organization:
    number = next(_counter)
    return Organization.create(
        name=name or f"Verein Nummer {number}",
        short_name=fields.pop("short_name", f"V{number}"),
        **fields,
    )


def account(role="member", organization=None, email=None, password=PASSWORD, **fields) -> Account:
    number = next(_counter)
    return Account.create(
        email=email or f"person{number}@example.org",
        display_name=fields.pop("display_name", f"Person {number}"),
        role=role,
        organization=organization,
        password_hash=hash_password(password),
        **fields,
    )

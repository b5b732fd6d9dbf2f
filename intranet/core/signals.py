"""Signals between areas, so that a lower area never imports a higher one.

`account_erasing` is sent (sender: the Account) inside the erasure transaction, before the
account row goes. Areas that must keep records about that person (attendance, minutes)
connect to it and replace the reference by `pseudonym`, a stable label such as "Person 7F3A".

`access_ended` is sent (sender: the Account) by `intranet.auth.services.end_access`, inside
the transaction that deactivates or erases the account, changes its role or organisation or
sets a new password. Whatever else grants access without a session (the calendar feed
address) is revoked by its area, as the sessions and password links are.
"""

from blinker import Namespace

_signals = Namespace()

account_erasing = _signals.signal("account-erasing")
access_ended = _signals.signal("access-ended")

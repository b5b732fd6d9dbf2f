"""Signals between areas, so that a lower area never imports a higher one.

`account_erasing` is sent (sender: the Account) inside the erasure transaction, before the
account row goes. Areas that must keep records about that person (attendance, minutes)
connect to it and replace the reference by `pseudonym`, a stable label such as "Person 7F3A".

`password_changed` is sent (sender: the Account) inside the transaction that sets a new
password, by the owner or by an admin. Whatever else grants access without a session (the
calendar feed address) is revoked by its area, as the sessions are.
"""

from blinker import Namespace

_signals = Namespace()

account_erasing = _signals.signal("account-erasing")
password_changed = _signals.signal("password-changed")

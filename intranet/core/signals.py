"""Signals between areas, so that a lower area never imports a higher one.

`account_erasing` is sent (sender: the Account) inside the erasure transaction, before the
account row goes. Areas that must keep records about that person (attendance, minutes)
connect to it and replace the reference by `pseudonym`, a stable label such as "Person 7F3A".
"""

from blinker import Namespace

_signals = Namespace()

account_erasing = _signals.signal("account-erasing")

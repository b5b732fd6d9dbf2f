"""Sign-in and own-account pages, one module per concern, all on the one blueprint `auth` (so
every address and endpoint name stays `auth.…`): sign-in with its second step and sign-out,
the first set-up and the password links, the own account page, the second factor."""

from intranet.auth.routes import account, password_links, second_factor, sign_in
from intranet.auth.routes.blueprint import bp

# The modules that add their pages to `bp`, each by decorating its views: importing this
# package brings all of them, so the area's `register` hands the app the whole blueprint.
PAGES = (sign_in, password_links, account, second_factor)

__all__ = ["PAGES", "bp"]

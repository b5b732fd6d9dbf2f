"""The personal OParl token (see auth.tokens): only its hash and a nonce are stored."""

from intranet.auth.tokens import TokenRow
from intranet.platform.i18n import lazy_gettext as _l


class OparlToken(TokenRow):
    """The secret a program sends as `Authorization: Bearer …` to read the OParl export with
    the owner's rights; read-only, one per account, renewable on /account."""

    PERSONAL_DATA = {"account": _l("Owner of the personal OParl token.")}


MODELS = [OparlToken]

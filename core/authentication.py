"""How API clients sign in: DRF's token, with what every answer is scoped by read along (a session's user:
kpi.authentication)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from core.prepared import CompiledGet

# The token with its user and the user's branch, compiled once per thread and planned once per connection (~1 ms of
# every API request otherwise).
_token = CompiledGet("api_token", lambda: Token.objects.select_related("user__branch"), "key", sentinel="\0sentinel")


class BranchTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, the user's branch read with the token: every API answer is scoped by it
    (branches.permissions), which would otherwise cost a query of its own on each request."""

    def authenticate_credentials(self, key):
        token = _token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token

"""How API clients sign in: DRF's token, with what every answer is scoped by read along (a session's user:
kpi.authentication)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class BranchTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, the user's branch read with the token: every API answer is scoped by it
    (branches.permissions), which would otherwise cost a query of its own on each request."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__branch").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token

"""The user of a session as every page reads them, in one query: with their branch (every page is scoped by it and
the navigation names it) and their branch's unread notices (the navigation's badge). Each would otherwise cost a
query of its own on every request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from kpi.entries.selectors import with_unread_notices


class SessionUserBackend(ModelBackend):
    """Django's model backend; only the loading of a session's user differs."""

    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = with_unread_notices(model._default_manager.select_related("branch")).get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

"""The user of a session as every page reads them, in one query: with their branch (every page is scoped by it and
the navigation names it) and their branch's unread notices (the navigation's badge). Each would otherwise cost a
query of its own on every request."""

import threading

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet

from kpi.entries.selectors import with_unread_notices

_built = threading.local()


def _session_users() -> QuerySet:
    """Built once per thread: resolving the notice subquery cost as much as running the query (~1 ms of every
    request). Each request's `.get` runs a clone of it (never evaluate it in place); a thread of its own because
    compiling a clone briefly changes the subquery it shares with the original."""
    users = getattr(_built, "users", None)
    if users is None:
        users = _built.users = with_unread_notices(get_user_model()._default_manager.select_related("branch"))
    return users


class SessionUserBackend(ModelBackend):
    """Django's model backend; only the loading of a session's user differs."""

    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = _session_users().get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

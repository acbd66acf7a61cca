"""The user of a session as every page reads them, in one query: with their branch (every page is scoped by it and
the navigation names it) and their branch's unread notices (the navigation's badge). Each would otherwise cost a
query of its own on every request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.prepared import CompiledGet
from kpi.entries.selectors import with_unread_notices

# Compiled once per thread and planned once per connection: compiling it (the notice subquery above all) and
# planning it cost ~0.9 ms of every page.
_session_user = CompiledGet(
    "session_user",
    lambda: with_unread_notices(get_user_model()._default_manager.select_related("branch")),
    "pk",
    sentinel=-727_272_727,  # an id no user has, unlike any other parameter of the query
)


class SessionUserBackend(ModelBackend):
    """Django's model backend; only the loading of a session's user differs."""

    def get_user(self, user_id):
        user = _session_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

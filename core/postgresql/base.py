"""Django's PostgreSQL backend, but a kept connection's health check asks the server only when the server has said
something.

CONN_HEALTH_CHECKS runs `SELECT 1` before the first query of every request on a kept connection: a round trip of
~0.3 ms, a tenth of a cached league answer. A connection that PostgreSQL closed (a restart, a terminated backend, an
idle timeout) has something to read at once: the server's error message and the end of the stream. A connection
that is fine and idle between two requests has nothing. So the socket is polled without waiting, and only when
something is waiting does Django's own check (`SELECT 1`) decide. Like that check, this one cannot see a server that
vanished without a word (its host powered off): the first query then fails and is answered 503
(`core.middleware.DatabaseUnavailableMiddleware`).
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        raw = self.connection
        if raw is None or raw.closed:
            return False
        try:
            poller = select.poll()
            poller.register(raw.fileno(), select.POLLIN)
            waiting = poller.poll(0)
        except (OSError, ValueError, base.Database.Error):
            return False
        return not waiting or super().is_usable()

"""The client's real address: REMOTE_ADDR, or X-Forwarded-For when the request came through a trusted proxy.

Login throttling (django-axes, AXES_CLIENT_IP_CALLABLE) locks a username from an address, so the
address must be one a client cannot choose: a forwarded header is believed only from the reverse
proxies listed in TRUSTED_PROXIES (addresses or networks), and then the right-most address in it that
is not itself one of those proxies is the client.
"""

import ipaddress

from django.conf import settings


def _networks():
    return [ipaddress.ip_network(p, strict=False) for p in settings.TRUSTED_PROXIES]


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str:
    """The address a request came from, looking through trusted proxies only."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks()
    if not _trusted(remote, networks):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _trusted(address, networks):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # a proxy that forwards garbage: count the proxy itself
    return remote

"""The client's address, the one place every rate limit, audit row and lockout reads it.

Without a proxy (``TRUSTED_PROXY_COUNT = 0``) the address is ``REMOTE_ADDR``, and
X-Forwarded-For is ignored: anyone can send that header. Behind N trusted proxies, each proxy
appends the address it received the request from, so the last N entries of X-Forwarded-For are
written by our own proxies and the one just before them is the client as our outermost proxy
saw it. Entries further left were written by the client and are never read: a resident who
sends ``X-Forwarded-For: 1.2.3.4`` to escape a rate limit only pushes a value we skip.

Counting from the right is what nginx's ``proxy_add_x_forwarded_for`` and every load balancer
produce; the count is configuration, never guessed from the header.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, honouring ``settings.TRUSTED_PROXY_COUNT`` proxies in front."""
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if hops <= 0:
        return remote
    chain = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    # The nearest proxy is REMOTE_ADDR itself; it and the hops - 1 proxies before it each
    # appended one entry, so the client is the hops-th entry from the right.
    if len(chain) < hops:
        # A request that did not pass through all our proxies (a health check on loopback,
        # a misconfigured hop): the farthest address we know is the best we have.
        return _valid(chain[0]) if chain else remote
    return _valid(chain[-hops]) or remote


def _valid(value: str) -> str | None:
    """``value`` as a normalised IP address, or None when it is not one (ports stripped)."""
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.9:51234
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None

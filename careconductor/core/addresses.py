"""The address a request came from: what the audit trail records and what the log-in lock-out counts by.

Behind a reverse proxy (nginx, Caddy, a load balancer) REMOTE_ADDR is the proxy's own address, the same for
everyone: counting failed log-ins by it would pause log-in for the whole organisation. Each proxy appends the
address it was reached from to X-Forwarded-For, so with CARECONDUCTOR_TRUSTED_PROXIES = N proxies in front, the
client is the (N+1)-th address from the right of "X-Forwarded-For, REMOTE_ADDR". Addresses further left are
whatever the client wrote and are never believed. With 0 (the default: gunicorn reached directly) the header is
ignored. Set N only when the application cannot be reached except through those proxies: anyone who reaches it
directly could otherwise name any address they like."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(remote_addr: str, forwarded_for: str, trusted_proxies: int) -> str | None:
    """The client's address from the peer's and the X-Forwarded-For header, trusting that many proxies."""
    chain = [part.strip() for part in forwarded_for.split(",") if part.strip()] if trusted_proxies else []
    chain.append(remote_addr)
    # Fewer addresses than proxies: the request did not come through all of them; the leftmost is the best known.
    found = chain[-(trusted_proxies + 1)] if len(chain) > trusted_proxies else chain[0]
    try:
        return str(ipaddress.ip_address(found))
    except ValueError:  # not an address (a proxy that writes "unknown", or a port): the peer then
        try:
            return str(ipaddress.ip_address(remote_addr))
        except ValueError:
            return None


def request_address(request: HttpRequest) -> str | None:
    """The request's client address (django-axes's AXES_CLIENT_IP_CALLABLE, and the audit context's)."""
    return client_address(
        request.META.get("REMOTE_ADDR") or "",
        request.META.get("HTTP_X_FORWARDED_FOR") or "",
        settings.CARECONDUCTOR_TRUSTED_PROXIES,
    )

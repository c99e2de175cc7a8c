"""One rate limiter for every public form, and the one way to name a client.

Counters live in Django's cache, which settings point at a store shared by every
worker process (the database cache table by default, Redis when REDIS_URL is set),
so a limit holds however many processes serve the site.
"""

import hashlib
import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction


def client_ip(request) -> str | None:
    """The client's address, behind TRUSTED_PROXIES reverse proxies.

    Each trusted proxy appends the address it received from to X-Forwarded-For, so
    the client is the entry that many places from the end; anything before it was
    written by the client and proves nothing. A hop is believed only when it comes
    from an address of TRUSTED_PROXY_ADDRESSES: a client reaching the application
    server directly cannot name itself by sending the header.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR")
    forwarded = [
        a.strip()
        for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if a.strip()
    ]
    hops = [*forwarded, remote]
    for _ in range(settings.TRUSTED_PROXIES):
        if len(hops) == 1 or not _is_trusted_proxy(hops[-1]):
            break
        hops.pop()
    return hops[-1] if _is_address(hops[-1]) else remote


def _is_address(value: str | None) -> bool:
    try:
        ipaddress.ip_address(value or "")
    except ValueError:
        return False
    return True


def _is_trusted_proxy(address: str | None) -> bool:
    if not _is_address(address):
        return False
    ip = ipaddress.ip_address(address or "")
    return any(ip in network for network in _trusted_networks())


def _trusted_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(item, strict=False)
        for item in settings.TRUSTED_PROXY_ADDRESSES
    ]


def client_hash(request) -> str:
    """A salted hash of the client address: counts clients without keeping addresses."""
    ip = client_ip(request) or ""
    return hashlib.sha256((settings.SECRET_KEY + ip).encode()).hexdigest()


@dataclass(frozen=True)
class RateLimit:
    """At most `setting` hits per client in each fixed window of `window` seconds."""

    name: str
    setting: str  # the settings name holding the allowance, read at each hit
    window: int = 3600

    @property
    def limit(self) -> int:
        return getattr(settings, self.setting)

    def hit(self, request) -> bool:
        """Count one hit by this client; True when it goes over the allowance."""
        # Fixed windows numbered from the epoch: a counter never outlives its window,
        # whatever a backend does to the expiry of a key it rewrites.
        window = int(time.time() // self.window)
        key = f"ratelimit:{self.name}:{client_hash(request)}:{window}"
        with transaction.atomic():
            # Read then write: serialise one client's parallel posts (any cache
            # backend) so that they cannot overrun the allowance.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
            count = (cache.get(key) or 0) + 1
            cache.set(key, count, timeout=self.window)
        return count > self.limit


ACCESS_REQUESTS = RateLimit("access-requests", "ACCESS_REQUESTS_PER_HOUR")
PUBLIC_REPORTS = RateLimit("public-reports", "PUBLIC_REPORTS_PER_HOUR")
PASSWORD_RESETS = RateLimit("password-resets", "PASSWORD_RESETS_PER_HOUR")
PASSWORD_CHANGES = RateLimit("password-changes", "PASSWORD_CHANGES_PER_HOUR")

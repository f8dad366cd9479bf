"""Fixed-window rate limits kept in the cache (Redis in production, so all app processes
count together). Used for registration, login and online demand submission."""

import hashlib

from django.core.cache import cache
from django.utils import timezone


def client_address(request):
    """The caller's address. Behind a reverse proxy, REMOTE_ADDR is set by the proxy
    configuration (never trust a client-sent X-Forwarded-For here)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(scope, key, *, limit, period):
    """Count one attempt of `key` (e.g. an address or a username) in `scope`; True when the
    attempt is over the limit of `limit` attempts per `period` seconds."""
    window = int(timezone.now().timestamp()) // period
    digest = hashlib.sha256(str(key).encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{window}:{digest}"
    # add() is atomic: only the first attempt of a window creates the counter.
    if cache.add(cache_key, 1, timeout=period + 1):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=period + 1)
        count = 1
    return count > limit


def is_limited(request, scope, *, limit, period, key=None):
    """hit() keyed by the caller's address unless another key is given."""
    return hit(scope, key if key is not None else client_address(request), limit=limit, period=period)

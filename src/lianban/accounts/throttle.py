"""Login throttling: after repeated failed sign-ins an account name (and, more loosely, an
address) is locked for a while, so that passwords cannot be guessed at speed. Counted in the
cache — shared by every web process when ``LIANBAN_CACHE_URL`` names Redis."""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.core.cache import cache

log = logging.getLogger("lianban.accounts")

WINDOW_SECONDS = 15 * 60
PER_ACCOUNT = 5  # failures for one account name within the window
PER_ADDRESS = 30  # failures from one address, over any names


def _key(kind: str, value: str) -> str:
    # Hashed: the cache must not hold identity numbers (an applicant's account name).
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"lianban:login:{kind}:{digest}"


def _count(key: str) -> tuple[int, float]:
    held = cache.get(key)
    if not held or held[1] <= time.time():
        return 0, 0.0
    return int(held[0]), float(held[1])


def locked_for(username: str, address: str) -> int:
    """Seconds until a sign-in for ``username`` from ``address`` may be tried; 0 if now."""
    now = time.time()
    waits = [
        until - now
        for key, limit in (
            (_key("user", username), PER_ACCOUNT),
            (_key("addr", address), PER_ADDRESS),
        )
        for count, until in [_count(key)]
        if count >= limit
    ]
    return math.ceil(max(waits)) if waits else 0


def failed(username: str, address: str) -> None:
    now = time.time()
    for key, limit in ((_key("user", username), PER_ACCOUNT), (_key("addr", address), PER_ADDRESS)):
        count, until = _count(key)
        count += 1
        # The window runs from the first failure; reaching the limit locks for a full window.
        until = now + WINDOW_SECONDS if count == 1 or count >= limit else until
        cache.set(key, (count, until), timeout=WINDOW_SECONDS + 60)
        if count == limit:
            log.warning("sign-in locked after %s failures (%s)", count, key.split(":")[2])


def succeeded(username: str) -> None:
    cache.delete(_key("user", username))

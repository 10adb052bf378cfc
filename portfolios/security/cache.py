"""A Redis cache that keeps answering when Redis does not.

Login throttling (allauth) and API throttling (DRF) keep their counters in the default
cache. If Redis is down, Django's RedisCache raises and every login would answer 500. This
backend falls back to a per-process memory cache for as long as Redis fails, logging once
a minute, so logins keep working and stay throttled (per worker) during the outage.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 60

_METHODS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
    "get_or_set",
)


class FailSafeRedisCache(RedisCache):
    """RedisCache whose operations fall back to a local memory cache on a Redis error."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._fallback = LocMemCache(f"failsafe-{id(self)}", {"TIMEOUT": params.get("TIMEOUT")})
        self._last_logged = 0.0

    def _failed(self, name: str, error: Exception):
        now = time.monotonic()
        if now - self._last_logged > LOG_EVERY_SECONDS:
            self._last_logged = now
            logger.warning("cache %s failed (%s); using this process's memory cache", name, error)
        return getattr(self._fallback, name)


def _guarded(name: str):
    original = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except (RedisError, OSError) as error:
            return self._failed(name, error)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = original.__doc__
    return method


for _name in _METHODS:
    setattr(FailSafeRedisCache, _name, _guarded(_name))

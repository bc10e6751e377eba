"""Django's RedisCache, with one Redis client per connection pool instead of one per operation.

django.core.cache.backends.redis.RedisCacheClient.get_client makes a new `redis.Redis` for every get and set; its
constructor builds the client's table of ~170 response callbacks each time, which the profile of the public notice
showed costing more than the round trip to Redis itself (0.13 ms of each cache operation, two or three of them on
every page: the session, the seal's verdict, the kept page). A client is only a pool and that table, and the
library's clients are safe to share between threads, so one per pool serves every call (selected by CACHE_URL,
navportal/settings.py)."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

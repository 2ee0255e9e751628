"""Records that nodes share in Redis and change by compare-and-set: timers, raised hands, the spotlight.

A record is a Redis string (``key``) or a field of a Redis hash (``key`` and ``field``) whose value is a version
token followed by the record's data. A node reads it with its version, decides on it as one node would (the
rules in ``rooms`` do not change), and writes the outcome with ``swap``: a Lua script that writes only when the
version is still the one read, and gives the record a new token. When another node wrote in between, the swap
fails and the node reads again and decides again, so the commands of all nodes on one record take turns as the
commands of one node do in its serializer. A token is random, never a counter: a record deleted and written
again can never look unchanged to a node that read it before.

Every write sets an expiry (``ttl``): what nodes share here is ephemeral and goes away some time after its use
when nobody clears it (a hash's expiry, for all its fields, is renewed by every write to one of them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

PREFIX = "werkstatt:"
TOKEN = 16  # characters of a version token (8 random bytes in hex)

# KEYS[1] the record's key; ARGV: the version read ("" when absent), the new value (its token and data; "" deletes
# it), the expiry in ms, the hash's field ("" for a string key). 1 when written, 0 when the version had moved on.
SWAP = """
local field = ARGV[4]
local current
if field == '' then current = redis.call('GET', KEYS[1]) else current = redis.call('HGET', KEYS[1], field) end
local version = ''
if current then version = string.sub(current, 1, 16) end
if version ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  if field == '' then redis.call('DEL', KEYS[1]) else redis.call('HDEL', KEYS[1], field) end
elseif field == '' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('HSET', KEYS[1], field, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Record:
    version: str  # "" when there is none
    data: bytes | None  # None when there is none


ABSENT = Record("", None)


def _record(value: bytes | str | None) -> Record:
    if isinstance(value, str):
        value = value.encode()
    if value is None or len(value) < TOKEN:
        return ABSENT
    return Record(value[:TOKEN].decode(), value[TOKEN:])


class Records:
    """The records of one kind (``kind`` names their keys: ``werkstatt:<kind>:<name>``) in a node's Redis."""

    def __init__(self, redis: Redis, kind: str) -> None:
        self.redis = redis
        self.prefix = f"{PREFIX}{kind}:"
        self._swap = redis.register_script(SWAP)

    def key(self, name: str) -> str:
        return self.prefix + name

    async def read(self, name: str, field: str | None = None) -> Record:
        key = self.key(name)
        value = await (self.redis.get(key) if field is None else self.redis.hget(key, field))
        return _record(value)

    async def read_fields(self, name: str) -> dict[str, Record]:
        """Every field of a hash record, by field."""
        values = await self.redis.hgetall(self.key(name))
        return {(f.decode() if isinstance(f, bytes) else f): _record(value) for f, value in values.items()}

    async def swap(
        self, name: str, before: Record, data: bytes | None, ttl: timedelta, field: str | None = None
    ) -> Record | None:
        """Write ``data`` (None deletes the record) if the record is still at ``before``'s version; the record as
        written, or None when another node wrote it meanwhile (read it again and decide again)."""
        token = os.urandom(TOKEN // 2).hex() if data is not None else ""
        value = token.encode() + data if data is not None else b""
        ttl_ms = max(int(ttl / timedelta(milliseconds=1)), 1)
        written = await self._swap(keys=[self.key(name)], args=[before.version, value, ttl_ms, field or ""])
        if not written:
            return None
        return Record(token, data)

    async def names(self) -> list[str]:
        """The names of every record of this kind (a scan of Redis's keys: for a node's start, not for requests)."""
        found = [key.decode()[len(self.prefix) :] async for key in self.redis.scan_iter(match=f"{self.prefix}*")]
        return sorted(found)

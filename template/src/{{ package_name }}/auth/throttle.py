"""Rate limits whose counts live in the database.

Every worker and replica reads and writes the same rows, so `--workers 4` or
four containers allow no more attempts than one process. An attempt is one
row per bucket it counts in; a row expires after its limit's window and is
purged from time to time, so the table stays as small as the traffic of one
window. A bucket is named by a SHA-256 of its limit and key, so whatever a
client sends, a bucket name is 64 characters and no username or address is
stored in clear.

An attempt is counted *before* the work it guards (a password check), and
given back when that work succeeds: concurrent attempts cannot all see a
count under the limit, because each one's own row is already in it.
"""

import hashlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from fastapi import Request
from sqlalchemy import Label, String, bindparam, delete, exists, func
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..db import utcnow
from ..models import RateLimitHit
from .errors import Throttled

logger = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `max_attempts` counted attempts per key within `window`."""

    name: str
    max_attempts: int
    window: timedelta

    def bucket(self, key: str) -> str:
        return bucket_name(self.name, key)


@lru_cache(maxsize=4096)
def bucket_name(limit: str, key: str) -> str:
    """The bucket of `key` under the limit named `limit`. Remembered for the
    keys seen lately: Basic names a client's buckets on every request."""
    return hashlib.sha256(f"{limit}\0{key}".encode()).hexdigest()


# A limit and the key it is counted under (an account, a client address).
Counted = Sequence[tuple[Limit, str]]


def client_address(request: Request) -> str:
    """The client's address: the peer, or behind a proxy listed in
    FORWARDED_ALLOW_IPS, the address that proxy reports."""
    return request.client.host if request.client else "unknown"


def live_hits() -> Label[bool]:
    """A column for a read-path query: whether the bucket passed as `bucket`
    holds a hit unexpired at `now`. One index probe; False, the usual
    answer, means no limit on it can be full, and True that
    `RateLimiter.check` must look closer."""
    return (
        exists()
        .where(col(RateLimitHit.bucket) == bindparam("bucket", type_=String))
        .where(col(RateLimitHit.expires_at) > bindparam("now"))
        .label("live_hits")
    )


class RateLimiter:
    """The app's rate limits (one per app; the counts are in the database)."""

    def __init__(self, purge_interval: float = PURGE_INTERVAL_SECONDS) -> None:
        self.purge_interval = purge_interval
        self._last_purge = -math.inf

    async def check(self, db: AsyncSession, counted: Counted) -> None:
        """Raise `Throttled` if any bucket is full; counts nothing."""
        await self._refuse_if_full(db, counted, allowed_extra=0)

    async def attempt(self, db: AsyncSession, counted: Counted) -> list[RateLimitHit]:
        """Count one attempt in every bucket, or raise `Throttled` (and count
        nothing) if one of them is full. Returns the rows to `succeeded` with."""
        now = utcnow()
        hits = [
            RateLimitHit(bucket=limit.bucket(key), expires_at=now + limit.window)
            for limit, key in counted
        ]
        db.add_all(hits)
        await db.commit()
        try:
            await self._refuse_if_full(db, counted, allowed_extra=1)
        except Throttled:
            # A refused attempt is not counted, so hammering a full bucket
            # does not keep it full for longer.
            await self._delete(db, [hit.id for hit in hits])
            raise
        await self._purge_now_and_then(db, now)
        return hits

    async def succeeded(
        self, db: AsyncSession, hits: list[RateLimitHit], *, reset: Counted = ()
    ) -> None:
        """The attempt succeeded: it no longer counts, and the buckets in
        `reset` (say, the account's failures from this client) are emptied."""
        await self._delete(db, [hit.id for hit in hits])
        if reset:
            buckets = [limit.bucket(key) for limit, key in reset]
            await db.exec(
                delete(RateLimitHit).where(col(RateLimitHit.bucket).in_(buckets))
            )
            await db.commit()

    async def _refuse_if_full(
        self, db: AsyncSession, counted: Counted, *, allowed_extra: int
    ) -> None:
        now = utcnow()
        limits = {limit.bucket(key): limit for limit, key in counted}
        rows = await db.exec(
            select(
                RateLimitHit.bucket,
                func.count(),
                func.min(RateLimitHit.expires_at),
            )
            .where(col(RateLimitHit.bucket).in_(limits))
            .where(col(RateLimitHit.expires_at) > now)
            .group_by(col(RateLimitHit.bucket))
        )
        waits = [
            _seconds_until(first_expiry, now)
            for bucket, count, first_expiry in rows.all()
            if count >= limits[bucket].max_attempts + allowed_extra
        ]
        if waits:
            raise Throttled(max(waits))

    async def _delete(self, db: AsyncSession, ids: list[int | None]) -> None:
        await db.exec(delete(RateLimitHit).where(col(RateLimitHit.id).in_(ids)))
        await db.commit()

    async def _purge_now_and_then(self, db: AsyncSession, now: datetime) -> None:
        if time.monotonic() - self._last_purge < self.purge_interval:
            return
        self._last_purge = time.monotonic()
        try:
            await db.exec(
                delete(RateLimitHit).where(col(RateLimitHit.expires_at) <= now)
            )
            await db.commit()
        except DBAPIError as exc:
            # Best effort: another worker purging at the same moment may
            # collide with this one; the next purge takes these rows.
            await db.rollback()
            logger.info("rate-limit purge skipped: %s", type(exc).__name__)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))

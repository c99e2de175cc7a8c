"""Reads of tiles, lists, exports and indicators on a streaming replica.

Active only when DATABASE_REPLICA_URL is set (config/settings.py). The primary
("default") takes every write, every read inside a transaction, every read outside
a request (commands, the job worker) and every request that is not a safe read of
one of settings.READ_REPLICA_VIEWS. config.middleware.ReadReplicaMiddleware decides,
per request, whether its reads may go to the replica: not for a write, and not for a
user who wrote in the last READ_YOUR_WRITES_SECONDS (they read their own writes).

Only the domain apps are served by the replica: sessions, users, grants, the cache
table (rate limits) and the job queue stay on the primary, where a just-made login,
revocation or counter is always seen.
"""

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connections

PRIMARY = "default"
REPLICA = "replica"
REPLICA_APPS = frozenset({"territory", "sites", "interventions", "maps"})

logger = logging.getLogger(__name__)

# True while a request whose reads may go to the replica is served (set by the
# middleware); False everywhere else.
replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)

# Seconds of replay lag, NULL-safe: 0 when everything received is replayed (an idle
# primary sends nothing, so "time since the last replayed commit" would grow forever).
LAG_SQL = """SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END"""


@dataclass
class _Health:
    usable: bool = False
    checked_at: float = field(default=-float("inf"))


_health = _Health()


def forget_replica_health() -> None:
    """Check the replica again at the next read (tests, after a change of settings)."""
    _health.checked_at = -float("inf")


def replica_usable() -> bool:
    """Reachable and not lagging past REPLICA_MAX_LAG_SECONDS; rechecked every
    REPLICA_CHECK_SECONDS per process, so a replica that comes back is used again."""
    now = time.monotonic()
    if now - _health.checked_at < settings.REPLICA_CHECK_SECONDS:
        return _health.usable
    _health.checked_at = now
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag = float(cursor.fetchone()[0])
    except DatabaseError as error:
        _health.usable = False
        logger.warning("Read replica unreachable, reading from the primary: %s", error)
        return False
    _health.usable = lag <= settings.REPLICA_MAX_LAG_SECONDS
    if not _health.usable:
        logger.warning(
            "Read replica %.1f s behind (limit %s s), reading from the primary",
            lag,
            settings.REPLICA_MAX_LAG_SECONDS,
        )
    return _health.usable


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if (
            replica_reads.get()
            and model._meta.app_label in REPLICA_APPS
            # A read inside a transaction must see that transaction's own writes.
            and not connections[PRIMARY].in_atomic_block
            and replica_usable()
        ):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # One database copied whole: any two rows may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        # The replica replays the primary's schema; it is never migrated itself.
        return db == PRIMARY

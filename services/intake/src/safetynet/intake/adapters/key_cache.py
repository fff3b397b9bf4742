"""A per-process cache of live API keys (issue 10): a bearer key's hash → its principal,
so that a request need not look its key up in the database every time.

It is correct only while every revocation reaches it at once, so it serves only while
`listening` (adapters/key_listener.py holds a LISTEN connection on PostgreSQL and turns
each revocation's NOTIFY into `forget`). When the listener loses its connection the cache
is cleared and bypassed, every request looking its key up again, until it listens anew.

Only live keys are kept (a refusal never is: a key minted a moment ago works at once).
An entry is refused once its key's `expires_at` passes (checked on every hit), and once
it is `max_age` seconds old whatever happened: a backstop should a revocation ever be
missed. The least recently used entries go first when it is full.

A look-up that went to the database takes a `ticket` first and stores its answer with
it: a revocation (or lost connection) seen while the look-up was in flight voids the
ticket, so a principal read before a revocation committed is never kept after it.
Pure logic, no I/O; one event loop, so no locks.
"""

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from safetynet.intake.domain.access import Principal

Wall = Callable[[], datetime]
Monotonic = Callable[[], float]
LiveKey = tuple[Principal, datetime | None]  # the principal and when its key expires (None: never)

MAX_ENTRIES = 10_000
MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    expires_at: datetime | None
    stored_at: float  # monotonic


class KeyCache:
    def __init__(
        self,
        *,
        max_entries: int = MAX_ENTRIES,
        max_age: float = MAX_AGE_SECONDS,
        wall: Wall = lambda: datetime.now(UTC),
        monotonic: Monotonic = time.monotonic,
    ):
        if max_entries < 1 or max_age <= 0:
            raise ValueError("a key cache needs room for one entry and a positive max age")
        self.max_entries, self.max_age = max_entries, max_age
        self._wall, self._monotonic = wall, monotonic
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # by key hash, least recently used first
        self._hashes: dict[str, set[str]] = {}  # key id → the hashes kept for it
        self._generation = 0  # bumped by every revocation and every clear: voids tickets
        self.listening = False
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key_hash: str) -> Principal | None:
        """The principal of a cached live key; None: look it up (not cached, expired,
        too old, or the cache is bypassed because nobody is listening)."""
        entry = self._entries.get(key_hash) if self.listening else None
        if entry is not None and (
            (entry.expires_at is not None and entry.expires_at <= self._wall())
            or self._monotonic() - entry.stored_at >= self.max_age
        ):
            self._drop(key_hash)
            entry = None
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key_hash)
        self.hits += 1
        return entry.principal

    def ticket(self) -> int:
        """Taken before a database look-up; `put` keeps the answer only if it is still good."""
        return self._generation

    def put(self, key_hash: str, live: LiveKey, *, ticket: int) -> None:
        """Keep a live key the database just returned, unless a revocation or a lost
        listener came in between (the ticket is void) or nobody is listening."""
        if not self.listening or ticket != self._generation:
            return
        principal, expires_at = live
        self._drop(key_hash)
        self._entries[key_hash] = _Entry(principal, expires_at, self._monotonic())
        self._hashes.setdefault(principal.key_id, set()).add(key_hash)
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))

    def forget(self, key_id: str) -> None:
        """A key was revoked: refuse it from now on (its entries go; tickets in flight are void)."""
        self._generation += 1
        for key_hash in self._hashes.pop(key_id, set()):
            self._entries.pop(key_hash, None)

    def listening_started(self) -> None:
        """The listener is connected and LISTENing: the cache may serve, starting empty."""
        self.clear()
        self.listening = True

    def listening_lost(self) -> None:
        """Revocations may be missed from now on: bypass the cache until listening again."""
        self.listening = False
        self.clear()

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._hashes.clear()

    def _drop(self, key_hash: str) -> None:
        entry = self._entries.pop(key_hash, None)
        if entry is not None:
            hashes = self._hashes.get(entry.principal.key_id)
            if hashes is not None:
                hashes.discard(key_hash)
                if not hashes:
                    del self._hashes[entry.principal.key_id]


async def cached_live_key(
    cache: KeyCache, key_hash: str, load: Callable[[str], Awaitable[LiveKey | None]]
) -> Principal | None:
    """The principal of a live key: from the cache, else `load`ed (and kept if live)."""
    principal = cache.get(key_hash)
    if principal is not None:
        return principal
    ticket = cache.ticket()
    live = await load(key_hash)
    if live is None:
        return None  # never cached: a key minted a moment ago must work at once
    cache.put(key_hash, live, ticket=ticket)
    return live[0]

"""The API key cache's own rules (issue 10), on fake clocks: it serves only while its
listener listens, refuses an entry once the key expires or the entry is too old, keeps
the most recently used entries within its bound, never keeps a refusal, and never keeps
an answer read before a revocation it heard while the look-up was in flight."""

from datetime import UTC, datetime, timedelta

import pytest

from safetynet.intake.adapters.key_cache import KeyCache, LiveKey, cached_live_key
from safetynet.intake.domain.access import Principal

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class Clocks:
    def __init__(self) -> None:
        self.now, self.seconds = T0, 0.0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.seconds += seconds


def principal(key_id: str = "k1") -> Principal:
    return Principal(key_id=key_id, role="agency", name="苗栗縣政府警察局", county="苗栗縣", agency_type="police")


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def cache(clocks: Clocks) -> KeyCache:
    cache = KeyCache(max_entries=3, max_age=60, wall=lambda: clocks.now, monotonic=lambda: clocks.seconds)
    cache.listening_started()
    return cache


def keep(cache: KeyCache, key_hash: str, live: LiveKey) -> None:
    cache.put(key_hash, live, ticket=cache.ticket())


def test_a_kept_key_is_served_until_it_is_revoked(cache: KeyCache) -> None:
    keep(cache, "h1", (principal(), None))
    assert cache.get("h1") == principal()
    cache.forget("k1")
    assert cache.get("h1") is None
    assert len(cache) == 0


def test_an_entry_is_refused_once_its_key_expires(cache: KeyCache, clocks: Clocks) -> None:
    keep(cache, "h1", (principal(), T0 + timedelta(seconds=30)))
    clocks.advance(29)
    assert cache.get("h1") == principal()
    clocks.advance(1)  # exactly at expires_at: the database calls it expired too
    assert cache.get("h1") is None


def test_an_entry_is_refused_once_it_is_max_age_old(cache: KeyCache, clocks: Clocks) -> None:
    keep(cache, "h1", (principal(), None))
    clocks.advance(59.9)
    assert cache.get("h1") == principal()  # a hit does not make it younger
    clocks.advance(0.1)
    assert cache.get("h1") is None


def test_the_least_recently_used_entry_goes_when_full(cache: KeyCache) -> None:
    for n in (1, 2, 3):
        keep(cache, f"h{n}", (principal(f"k{n}"), None))
    assert cache.get("h1") is not None  # h2 is now the least recently used
    keep(cache, "h4", (principal("k4"), None))
    assert len(cache) == 3
    assert cache.get("h2") is None
    assert all(cache.get(h) is not None for h in ("h1", "h3", "h4"))
    cache.forget("k2")  # a key dropped for room is forgotten without trouble
    assert len(cache) == 3


def test_nothing_is_served_or_kept_while_nobody_listens(cache: KeyCache) -> None:
    keep(cache, "h1", (principal(), None))
    cache.listening_lost()
    assert cache.get("h1") is None
    keep(cache, "h1", (principal(), None))
    assert len(cache) == 0
    cache.listening_started()  # listening again: starts empty, looks the key up once more
    assert cache.get("h1") is None


def test_a_key_starts_out_bypassed_until_a_listener_connects(clocks: Clocks) -> None:
    cache = KeyCache(wall=lambda: clocks.now, monotonic=lambda: clocks.seconds)
    keep(cache, "h1", (principal(), None))
    assert cache.get("h1") is None


def test_a_revocation_during_a_look_up_voids_its_answer(cache: KeyCache) -> None:
    ticket = cache.ticket()
    cache.forget("k1")  # heard while the database was being asked
    cache.put("h1", (principal(), None), ticket=ticket)
    assert len(cache) == 0
    ticket = cache.ticket()
    cache.listening_lost()
    cache.listening_started()  # a reconnect in between voids it too
    cache.put("h1", (principal(), None), ticket=ticket)
    assert len(cache) == 0


async def test_a_refusal_is_never_kept(cache: KeyCache) -> None:
    answers: list[LiveKey | None] = [None, (principal(), None)]
    loads: list[str] = []

    async def load(key_hash: str) -> LiveKey | None:
        loads.append(key_hash)
        return answers.pop(0)

    assert await cached_live_key(cache, "h1", load) is None
    assert await cached_live_key(cache, "h1", load) == principal()  # minted since: works at once
    assert await cached_live_key(cache, "h1", load) == principal()
    assert loads == ["h1", "h1"]  # the third came from the cache


async def test_a_look_up_that_hears_a_revocation_is_not_kept(cache: KeyCache) -> None:
    async def load(key_hash: str) -> LiveKey | None:
        cache.forget("k1")  # the NOTIFY arrives while the SELECT is in flight
        return principal(), None

    assert await cached_live_key(cache, "h1", load) == principal()  # this request read it live
    assert len(cache) == 0  # the next one asks again


def test_a_cache_needs_room_and_a_positive_max_age() -> None:
    with pytest.raises(ValueError):
        KeyCache(max_entries=0)
    with pytest.raises(ValueError):
        KeyCache(max_age=0)

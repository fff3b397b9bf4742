"""No input ever gets a 5xx: a bounded, deterministic fuzzer for POST /v1/reports.

A seeded generator mutates the valid report (drops fields, wrong types, huge strings,
unicode, nested garbage, nulls everywhere, lists instead of objects, broken bytes) and
posts 300 variants. Every answer must be a 2xx or a 4xx; every accepted report must then
be readable by the county's dispatcher.

Failures print the batch, the variant index and the mutations, so a failure reproduces
from the seed alone.
"""

import copy
import json
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

SEED = 20261122
BATCHES = 6
PER_BATCH = 50  # 300 variants in all
EXPECTED = {202, 400, 409, 413, 415, 422}

UNICODE_SAMPLES = [
    "😀🙈💥",
    "\u202eevil\u202c",
    "e\u0301\u0301\u0301",
    "\u200b\u200d\ufeff",
    "\u0000",
    "a\u0000b",
    "\uffff\ufffe",
    "𠜎𠜱𠝹𠱓",
    "苗栗縣\n頭份市",
    "ＡＢＣ１２３",
    "\t\r\n",
    "\\u0000",
    "'; DROP TABLE x; --",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "%s%s%n",
    "../../etc/passwd",
    "null",
    "true",
]
# conftest.py runs the suite on PostgreSQL when this is set. There a NUL character is a
# known 500 (see test_api_validation.test_nul_character_in_a_string_is_never_a_5xx), so
# the fuzzer leaves it out to keep looking for other failures.
ON_POSTGRES = bool(os.environ.get("SAFETYNET_TEST_POSTGRES_URL"))
if ON_POSTGRES:
    UNICODE_SAMPLES = [u for u in UNICODE_SAMPLES if "\u0000" not in u]
SCALARS = [
    None,
    True,
    False,
    0,
    -1,
    1,
    15,
    16,
    2**31,
    2**63,
    2**64 + 1,
    -(2**70),
    10**100,
    0.5,
    -0.0,
    1e308,
    -1e308,
    float("nan"),
    float("inf"),
    "",
    " ",
    "9",
    "yes",
    "A123456789",
    "2026-11-20",
    "2999-01-01",
    "苗栗縣",
    "other",
    "victim",
]


def huge_string(rng: random.Random) -> str:
    size = rng.choice([201, 20_001, 100_000, 600_000, 1_100_000])
    return rng.choice("x字😀") * (size // 3 if size > 500_000 else size)


def garbage(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 40 or roll < 0.35:
        return rng.choice(SCALARS + UNICODE_SAMPLES)
    if roll < 0.45:
        return huge_string(rng) if rng.random() < 0.3 else rng.choice(UNICODE_SAMPLES) * rng.randint(1, 50)
    if roll < 0.75:
        return [garbage(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["", "county", "role", "x" * 50, "😀", "__proto__", "$ref"]) + str(i): garbage(rng, depth + 1)
        for i in range(rng.randint(0, 4))
    }


NEST = re.compile(r'"@@nest:(\d+):(\d+)@@"')


def nested(rng: random.Random) -> str:
    """A placeholder for deeply nested JSON, expanded in the text after json.dumps (which
    cannot itself encode 3,000 levels)."""
    return f"@@nest:{rng.randint(50, 3_000)}:{rng.randrange(10**6)}@@"


def expand_nesting(text: str) -> str:
    def expand(match: re.Match[str]) -> str:
        depth, seed = int(match.group(1)), int(match.group(2))
        rng = random.Random(seed)
        kinds = [rng.random() < 0.5 for _ in range(depth)]
        return "".join("[" if k else '{"a":' for k in kinds) + "0" + "".join("]" if k else "}" for k in reversed(kinds))

    return NEST.sub(expand, text)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path in the document, the root included."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += paths(value, (*prefix, index))
    return found


def get(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


def nulls_everywhere(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: nulls_everywhere(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nulls_everywhere(v) for v in value]
    return None


Mutation = Callable[[random.Random, Any, tuple[Any, ...]], Any]


def m_drop(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return {}
    del get(doc, path[:-1])[path[-1]]
    return doc


def m_scalar(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    return replace(doc, path, rng.choice(SCALARS))


def m_unicode(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    return replace(doc, path, "".join(rng.sample(UNICODE_SAMPLES, 3)))


def m_huge(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    return replace(doc, path, huge_string(rng))


def m_garbage(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    return replace(doc, path, garbage(rng))


def m_nested(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    return replace(doc, path, nested(rng))


def m_wrap_in_list(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    return replace(doc, path, [copy.deepcopy(get(doc, path))])


def m_object_to_list(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    value = get(doc, path)
    return replace(doc, path, list(value.values()) if isinstance(value, dict) else {"value": value})


def m_nulls(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    return replace(doc, path, nulls_everywhere(get(doc, path)))


def m_extra_key(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    target = get(doc, path)
    if isinstance(target, dict):
        target[rng.choice(["tipvda", "Weapon", "extra", "", "😀", "county "])] = garbage(rng)
    return doc


def m_repeat(rng: random.Random, doc: Any, path: tuple[Any, ...]) -> Any:
    target = get(doc, path)
    if isinstance(target, list) and target:
        target.extend([copy.deepcopy(target[0])] * rng.choice([13, 49, 50, 51, 500]))
    return doc


MUTATIONS: list[Mutation] = [
    m_drop,
    m_scalar,
    m_unicode,
    m_huge,
    m_garbage,
    m_nested,
    m_wrap_in_list,
    m_object_to_list,
    m_nulls,
    m_extra_key,
    m_repeat,
]


def break_bytes(rng: random.Random, raw: bytes) -> bytes:
    """Corrupt valid JSON at the byte level."""
    roll = rng.random()
    at = rng.randrange(len(raw))
    if roll < 0.3:
        return raw[:at]
    if roll < 0.6:
        return raw[:at] + bytes([rng.randrange(256)]) + raw[at + 1 :]
    if roll < 0.8:
        return raw[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 20))) + raw[at:]
    return raw + raw


@dataclass
class Variant:
    index: int
    steps: list[str]
    content: bytes
    idempotency_key: str | None


def variants(batch: int, base: dict[str, Any]) -> list[Variant]:
    rng = random.Random(f"{SEED}-{batch}")
    out = []
    for index in range(PER_BATCH):
        doc: Any = copy.deepcopy(base)
        steps = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            mutation = rng.choice(MUTATIONS)
            path = rng.choice(paths(doc))
            try:
                doc = mutation(rng, doc, path)
            except (KeyError, IndexError, TypeError):  # the path vanished under an earlier step
                continue
            steps.append(f"{mutation.__name__}{list(path)}")
        raw = expand_nesting(json.dumps(doc, ensure_ascii=rng.random() < 0.5)).encode()
        if rng.random() < 0.15:
            raw = break_bytes(rng, raw)
            steps.append("break_bytes")
        key = rng.choice(["fuzz-a", "fuzz-b"]) if rng.random() < 0.15 else None
        out.append(Variant(index, steps, raw, key))
    return out


def test_the_generator_is_deterministic_and_varied(report: Any) -> None:
    first = [v.content for b in range(BATCHES) for v in variants(b, report())]
    second = [v.content for b in range(BATCHES) for v in variants(b, report())]

    assert first == second
    assert len(first) == 300
    assert len(set(first)) > 250


@pytest.mark.parametrize("batch", range(BATCHES))
async def test_no_variant_gets_a_5xx(batch: int, client: httpx.AsyncClient, keys: Any, report: Any) -> None:
    failures, statuses = [], []
    for variant in variants(batch, report()):
        headers = {**keys.police.headers, "Content-Type": "application/json"}
        if variant.idempotency_key:
            headers["Idempotency-Key"] = variant.idempotency_key
        response = await client.post("/v1/reports", content=variant.content, headers=headers)
        statuses.append(response.status_code)
        problem = None
        if response.status_code not in EXPECTED:
            problem = f"POST answered {response.status_code}: {response.text[:200]}"
        elif response.status_code == 202:
            view = await client.get(
                f"/v1/reports/{response.json()['report_id']}", headers=keys.dispatcher_miaoli.headers
            )
            if view.status_code not in (200, 404):  # 404: a variant reported for another county
                problem = f"GET of the accepted report answered {view.status_code}"
        elif response.status_code == 422:
            detail = response.json()["detail"]
            if not (isinstance(detail, list) and detail and all(e["loc"][0] in ("body", "header") for e in detail)):
                problem = f"422 without field paths: {response.text[:200]}"
        if problem:
            failures.append(f"seed {SEED} batch {batch} variant {variant.index} {variant.steps}: {problem}")

    assert not failures, "\n".join(failures)
    assert len(statuses) == PER_BATCH
    assert 422 in statuses  # the fuzzer does reach validation


@pytest.mark.parametrize(
    "report_id",
    [
        "",
        "%2e%2e",
        "..%2F..%2Fhealthz",
        "😀" * 100,
        "x" * 10_000,
        "' OR 1=1 --",
        "\u202e",
        "null",
        "%00",
    ],
)
async def test_get_with_odd_ids_is_never_a_5xx(report_id: str, client: httpx.AsyncClient, keys: Any) -> None:
    response = await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)

    # 404, or the 307 that adds no slash to "/v1/reports/": never a report, never a 5xx.
    assert response.status_code in (307, 404), response.text


async def test_known_crashers_get_no_5xx(client: httpx.AsyncClient, keys: Any, report: Any) -> None:
    rng = random.Random(SEED)
    statuses = set()
    for _ in range(10):
        doc = report()
        path = rng.choice([p for p in paths(doc) if p])
        raw = json.dumps(replace(doc, path, "x\ud800" if rng.random() < 0.5 else 1)).replace(
            ": 1", ": " + "7" * 4_400, 1
        )
        response = await client.post(
            "/v1/reports", content=raw.encode(), headers={**keys.police.headers, "Content-Type": "application/json"}
        )
        statuses.add(response.status_code)

    assert max(statuses) < 500, statuses

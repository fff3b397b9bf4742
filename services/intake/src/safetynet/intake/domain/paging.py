"""Pages of a sorted list, by keyset: a cursor is the sort key of the last item shown,
so a page never repeats or skips an item when items come and go between requests."""

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class BadCursor(ValueError):
    pass


def encode(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeError):
        raise BadCursor("not a cursor from this list") from None
    if not isinstance(key, list):
        raise BadCursor("not a cursor from this list")
    return key


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None  # None: this is the last page


def page(items: list[T], *, key: Callable[[T], list[Any]], limit: int, after: str | None) -> Page:
    """`items` sorted by `key`, from just after the cursor, at most `limit` of them."""
    ordered = sorted(items, key=key)
    if after is not None:
        start = decode(after)
        try:
            ordered = [i for i in ordered if key(i) > start]
        except TypeError:
            raise BadCursor("not a cursor from this list") from None
    shown = ordered[:limit]
    more = len(ordered) > limit
    return Page(shown, encode(key(shown[-1])) if more and shown else None)

"""Subject facts derived at acceptance: keyed hashes and ages."""

import hashlib
import hmac
from datetime import datetime, timedelta

REPEAT_WINDOW = timedelta(hours=365 * 24)


def subject_hash(key: bytes, national_id: str) -> str:
    """HMAC-SHA256 of an (already upper-cased) national ID: matchable, not reversible
    without the key, and never the raw ID."""
    return hmac.new(key, national_id.encode(), hashlib.sha256).hexdigest()


def in_repeat_window(earlier: datetime, now: datetime) -> bool:
    """Received strictly earlier and less than 365×24 h before."""
    return earlier < now and now - earlier < REPEAT_WINDOW

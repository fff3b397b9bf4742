"""Subject facts derived at acceptance: keyed hashes and ages. (Whether an earlier report
is a repeat is safetynet.policy.repeat_window.)"""

import hashlib
import hmac


def subject_hash(key: bytes, national_id: str) -> str:
    """HMAC-SHA256 of an (already upper-cased) national ID: matchable, not reversible
    without the key, and never the raw ID."""
    return hmac.new(key, national_id.encode(), hashlib.sha256).hexdigest()

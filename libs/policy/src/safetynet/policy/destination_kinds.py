"""The four destination kinds, in the order decisions and referrals list them.

The vocabulary is the public contract's (`DestinationKind`); the order is this rule.
"""

from typing import get_args

from safetynet.contracts.report import DestinationKind

DESTINATION_KINDS: tuple[str, ...] = get_args(DestinationKind)


def kind_rank(kind: str) -> int:
    """The position of `kind` in the listing order; ValueError for an unknown kind."""
    if kind not in DESTINATION_KINDS:
        raise ValueError(f"unknown destination kind {kind!r}")
    return DESTINATION_KINDS.index(kind)

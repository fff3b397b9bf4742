"""Checkpoints of the audit chain: the head (seq and hash) at a moment, signed with the
audit key, one JSON line each, kept outside the database (`safetynet audit checkpoint`,
run on a schedule, appends them to SAFETYNET_AUDIT_CHECKPOINT_FILE; ship that file to
write-once storage or a log system). `safetynet audit verify` then shows what the chain
alone cannot: records cut off the end, or a trail rebuilt from scratch.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from safetynet.intake.domain.audit import AuditKey


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    at: str  # ISO 8601

    def _signed(self) -> bytes:
        return json.dumps(
            {"seq": self.seq, "head": self.head, "at": self.at}, sort_keys=True, separators=(",", ":")
        ).encode()


def sign(key: AuditKey, *, seq: int, head: str, at: datetime) -> str:
    checkpoint = Checkpoint(seq, head, at.isoformat())
    return json.dumps(
        {
            "seq": seq,
            "head": head,
            "at": checkpoint.at,
            "key_id": key.id,
            "mac": key.mac(b"checkpoint", checkpoint._signed()),
        },
        sort_keys=True,
    )


class BadCheckpoint(ValueError):
    pass


def read(key: AuditKey, lines: Iterable[str]) -> list[Checkpoint]:
    """Every checkpoint, each checked against its signature (BadCheckpoint names the line)."""
    found = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            checkpoint = Checkpoint(int(data["seq"]), str(data["head"]), str(data["at"]))
            mac = str(data["mac"])
        except (ValueError, KeyError, TypeError):
            raise BadCheckpoint(f"checkpoint line {number} cannot be read") from None
        if key.mac(b"checkpoint", checkpoint._signed()) != mac:
            raise BadCheckpoint(f"checkpoint line {number} is not signed with this audit key")
        found.append(checkpoint)
    return found


def compare(checkpoints: list[Checkpoint], heads: dict[int, str], last_seq: int) -> str | None:
    """The first disagreement between the checkpoints and the trail: `heads` holds the
    trail's hash at each checkpointed seq, `last_seq` its newest record."""
    for c in checkpoints:
        if c.seq > last_seq:
            return (
                f"checkpoint of {c.at} saw record {c.seq}, but the trail ends at {last_seq}: "
                "records were cut off the end"
            )
        if c.seq > 0 and heads.get(c.seq) != c.head:
            return f"checkpoint of {c.at}: record {c.seq} is not the one it saw (the trail was rewritten)"
    return None

"""One envelope for every event and command that crosses a topic."""

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

P = TypeVar("P", bound=BaseModel)


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")  # tolerant reader: see events._Payload

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    report_id: str
    producer: str
    # W3C trace context (traceparent, tracestate) of the span that produced the event.
    trace: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Envelope":
        return cls.model_validate_json(raw)

    # builtins.type: inside this class `type` is the field above.
    def payload_as(self, model: builtins.type[P]) -> P:
        return model.model_validate(self.payload)

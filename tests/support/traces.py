"""Reading a report's trace out of finished spans."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any


def report_trace(spans: Sequence[Any], report_id: str) -> tuple[int, list[Any]]:
    """The trace that holds the report's spans, and every span in it; fails if the
    report's spans are spread over several traces."""
    mine = [s for s in spans if s.attributes and s.attributes.get("safetynet.report_id") == report_id]
    trace_ids = {s.context.trace_id for s in mine}
    assert len(trace_ids) == 1, f"the report's spans are in {len(trace_ids)} traces"
    [trace_id] = trace_ids
    return trace_id, [s for s in spans if s.context.trace_id == trace_id]


def consumer_groups(spans: Sequence[Any]) -> set[str]:
    return {
        s.attributes["messaging.consumer.group.name"]
        for s in spans
        if s.attributes and "messaging.consumer.group.name" in s.attributes
    }


def check_connected(trace_spans: Sequence[Any]) -> Any:
    """Every span's parent is in the trace, but one root: return the root."""
    ids = {s.context.span_id for s in trace_spans}
    roots = [s for s in trace_spans if s.parent is None or s.parent.span_id not in ids]
    assert len(roots) == 1, f"{len(roots)} roots: {[r.name for r in roots]}"
    children: dict[int, int] = defaultdict(int)
    for s in trace_spans:
        if s.parent is not None:
            children[s.parent.span_id] += 1
    return roots[0]

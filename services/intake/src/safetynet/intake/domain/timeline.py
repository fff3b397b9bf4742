"""Names of timeline entries."""


def entry_name(type_name: str) -> str:
    """`SlaBreached` -> `sla_breached`: event and command types as timeline entries."""
    return "".join("_" + c.lower() if c.isupper() else c for c in type_name).lstrip("_")

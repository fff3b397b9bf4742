"""The rule versions shipped with this release (rule_versions/*.json, package data).

They are part of the code, not runtime state: read once, at import, from the package
itself (like the reason catalogue), so `decide` stays a pure function of its arguments.
Which version screening decides with is data (the activation log); when none was
activated, DEFAULT_VERSION is used. DOMAIN.md: "v1.1 is the default once it exists (v1
stays selectable)": DEFAULT_VERSION is v1.1's.
"""

from __future__ import annotations

import json
from importlib import resources
from types import MappingProxyType

from .model import RULE_VERSION
from .ruleset import RuleSet
from .ruleset_document import RuleSetDocument, parse_document


def _load_shipped() -> dict[str, RuleSetDocument]:
    folder = resources.files(__package__).joinpath("rule_versions")
    documents = [
        parse_document(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return {document.version: document for document in sorted(documents, key=lambda d: d.version)}


SHIPPED_DOCUMENTS = MappingProxyType(_load_shipped())
SHIPPED: MappingProxyType[str, RuleSet] = MappingProxyType(
    {version: document.to_ruleset() for version, document in SHIPPED_DOCUMENTS.items()}
)

# v1 keeps the version string decisions have recorded since the first release.
V1 = SHIPPED[RULE_VERSION]
# Decision model v1.1 (issue 14), recorded as "v1.1.0": the default once it exists, so a
# deployment that never activated a version decides under it; `rules activate v1.0.0`
# (or `v1`) goes back to v1.
V1_1 = SHIPPED["v1.1.0"]
DEFAULT_VERSION = V1_1.version


def shipped_version(name: str) -> str | None:
    """The shipped version `name` means: an exact version ("v1.0.0"), or a decision
    model ("v1") meaning its newest shipped version; None when neither."""
    if name in SHIPPED:
        return name
    of_model = sorted(version for version, rules in SHIPPED.items() if rules.model == name)
    return of_model[-1] if of_model else None

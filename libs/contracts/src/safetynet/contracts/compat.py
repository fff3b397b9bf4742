"""Backward compatibility between two versions of a contract's JSON Schema.

The public contracts (the report, the envelope, every event and command) are published
as JSON Schemas (`safetynet contracts export`). A new version is compatible when every
document that was valid for the old one is still understood the same way:

- breaking: a property removed or renamed, a property that became required (or a new
  required one), an enum value removed, a type changed or narrowed, a constraint
  tightened (a shorter maxLength, a higher minimum, ...), a format changed, extra
  properties no longer allowed, a contract removed;
- compatible: a new optional property, a new enum value, a type made nullable, a
  constraint loosened, a new contract.

It understands the JSON Schema that pydantic v2 writes: local `$ref`s into `$defs`,
`anyOf` unions (Optional is `anyOf [X, {"type": "null"}]`), `enum` and `const`.
"""

from collections.abc import Mapping
from typing import Any

Schema = Mapping[str, Any]

# A larger new lower bound, or a smaller new upper bound, rejects documents the old accepted.
_LOWER_BOUNDS = ("minLength", "minItems", "minimum", "exclusiveMinimum", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maxItems", "maximum", "exclusiveMaximum", "maxProperties")


def breaking_changes(old: Schema, new: Schema, *, name: str = "$") -> list[str]:
    """Every breaking change from `old` to `new`, each naming the JSON path; [] if none."""
    return _Comparison(old, new).node(old, new, name)


def breaking_changes_between(old: Mapping[str, Schema], new: Mapping[str, Schema]) -> list[str]:
    """The breaking changes across named contracts (for example schema file names)."""
    problems = [f"{name}: contract removed" for name in sorted(set(old) - set(new))]
    for name in sorted(set(old) & set(new)):
        problems += breaking_changes(old[name], new[name], name=name)
    return problems


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema):
        self._roots = (old_root, new_root)
        self._stack: set[tuple[str, str]] = set()  # pairs of $refs being compared

    def _resolve(self, schema: Schema, root: Schema, path: str) -> Schema:
        hops = 0
        while isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"{path}: only local $refs are supported, not {ref!r}")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **extra}
            hops += 1
            if hops > 50:
                raise ValueError(f"{path}: $ref cycle at {ref!r}")
        return schema

    def node(self, old: Schema, new: Schema, path: str) -> list[str]:
        pair = (_ref_of(old), _ref_of(new))
        if pair[0] and pair[1]:
            # A recursive model: the pair is already being compared further up.
            if pair in self._stack:
                return []
            self._stack.add(pair)
            try:
                return self._node(old, new, path)
            finally:
                self._stack.discard(pair)
        return self._node(old, new, path)

    def _node(self, old: Schema, new: Schema, path: str) -> list[str]:
        old = self._resolve(old, self._roots[0], path)
        new = self._resolve(new, self._roots[1], path)
        old_alts, new_alts = self._alternatives(old, 0), self._alternatives(new, 1)
        if any(t == "any" for t, _ in new_alts):
            return []  # the new version accepts anything
        if any(t == "any" for t, _ in old_alts):
            return [f"{path}: type narrowed from any value to {_types(new_alts)}"]
        problems: list[str] = []
        old_types, new_types = {t for t, _ in old_alts}, {t for t, _ in new_alts}
        removed = old_types - new_types
        added = new_types - old_types - {"null"}
        if removed or added:
            problems.append(f"{path}: type changed from {_types(old_alts)} to {_types(new_alts)}")
        for type_ in sorted(old_types & new_types):
            olds = [s for t, s in old_alts if t == type_]
            news = [s for t, s in new_alts if t == type_]
            for old_alt in olds:
                # A union may hold several alternatives of one type: any compatible one will do.
                attempts = [self._same_type(old_alt, new_alt, type_, path) for new_alt in news]
                fewest: list[str] = min(attempts, key=len)
                problems += fewest
        return problems

    def _alternatives(self, schema: Schema, side: int) -> list[tuple[str, Schema]]:
        """The schema as a list of (JSON type, schema for that type)."""
        schema = self._resolve(schema, self._roots[side], "$")
        for union in ("anyOf", "oneOf"):
            if union in schema:
                shared = {k: v for k, v in schema.items() if k not in (union, "title", "description", "default")}
                found = []
                for alt in schema[union]:
                    found += self._alternatives({**shared, **alt} if shared else alt, side)
                return found
        types = schema.get("type")
        if isinstance(types, list):
            return [(t, {**schema, "type": t}) for t in types]
        if isinstance(types, str):
            return [(types, schema)]
        values = _enum_values(schema)
        if values is not None:
            by_type: dict[str, list[Any]] = {}
            for value in values:
                by_type.setdefault(_json_type(value), []).append(value)
            return [(t, {**schema, "type": t, "enum": vs}) for t, vs in by_type.items()]
        if "properties" in schema or "additionalProperties" in schema:
            return [("object", schema)]
        if "items" in schema:
            return [("array", schema)]
        return [("any", schema)]

    def _same_type(self, old: Schema, new: Schema, type_: str, path: str) -> list[str]:
        problems: list[str] = []
        old_values, new_values = _enum_values(old), _enum_values(new)
        if old_values is not None and new_values is not None:
            gone = [v for v in old_values if v not in new_values]
            if gone:
                problems.append(
                    f"{path}: enum value{'s' if len(gone) > 1 else ''} removed: " + ", ".join(repr(v) for v in gone)
                )
        elif old_values is None and new_values is not None:
            problems.append(f"{path}: now restricted to the values {new_values!r}")
        if old.get("format") != new.get("format") and new.get("format") is not None:
            problems.append(f"{path}: format changed from {old.get('format')!r} to {new.get('format')!r}")
        for keyword in _LOWER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
                problems.append(f"{path}: {keyword} tightened from {old.get(keyword)!r} to {new[keyword]!r}")
        for keyword in _UPPER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
                problems.append(f"{path}: {keyword} tightened from {old.get(keyword)!r} to {new[keyword]!r}")
        if old.get("pattern") != new.get("pattern") and new.get("pattern") is not None:
            problems.append(f"{path}: pattern changed from {old.get('pattern')!r} to {new.get('pattern')!r}")
        if type_ == "object":
            problems += self._object(old, new, path)
        elif type_ == "array":
            if isinstance(old.get("items"), Mapping) and isinstance(new.get("items"), Mapping):
                problems += self.node(old["items"], new["items"], f"{path}[]")
            elif "items" in new and "items" not in old:
                problems.append(f"{path}[]: items now constrained")
        return problems

    def _object(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems: list[str] = []
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        new_extra, old_extra = new.get("additionalProperties", True), old.get("additionalProperties", True)
        for prop in old_props:
            if prop not in new_props:
                if new_extra is False or prop in new_required:
                    problems.append(f"{path}.{prop}: property removed (or renamed)")
                else:
                    problems.append(f"{path}.{prop}: property removed (or renamed); its values are no longer checked")
        for prop in sorted(new_required - old_required):
            if prop in old_props:
                problems.append(f"{path}.{prop}: property became required")
            else:
                problems.append(f"{path}.{prop}: new required property")
        for prop in old_props:
            if prop in new_props:
                problems += self.node(old_props[prop], new_props[prop], f"{path}.{prop}")
        if new_extra is False and old_extra is not False:
            problems.append(f"{path}: additional properties no longer allowed")
        elif isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            problems += self.node(old_extra, new_extra, f"{path}{{*}}")
        elif isinstance(new_extra, Mapping) and old_extra is not False:
            problems.append(f"{path}{{*}}: additional properties now constrained")
        return problems


def _ref_of(schema: Schema) -> str:
    ref = schema.get("$ref")
    return ref if isinstance(ref, str) else ""


def _enum_values(schema: Schema) -> list[Any] | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _types(alternatives: list[tuple[str, Schema]]) -> str:
    return "|".join(sorted({t for t, _ in alternatives}))

"""KubeRay CRD schemas (OpenAPI v3, as the API server reads them) turned into JSON Schema
Draft 7, by the rules of shared/k8s-schemas/README.md, plus the list semantics the API
server enforces (x-kubernetes-list-type set/map) as two extra keywords."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
from jsonschema import Draft7Validator, ValidationError

# In CI the repo is cloned next to a copy of shared/; on a developer machine likewise.
SCHEMA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "k8s-schemas"
SCHEMA_FILES = {
    "RayCluster": "rayclusters-v1.schema.json",
    "RayJob": "rayjobs-v1.schema.json",
    "RayService": "rayservices-v1.schema.json",
}

_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")   # name -> schema
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf")                         # [schema, ...]
_SCHEMA_ONE = ("not", "additionalProperties", "items")               # schema (or bool/list)


def to_draft7(node: object, strict: bool = True) -> object:
    """Convert one OpenAPI v3 schema node. Only schema-valued keywords are recursed into, so
    data such as `default` and `enum` values is copied as is."""
    if not isinstance(node, dict):
        return node
    out = dict(node)
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            out[key] = {name: to_draft7(sub, strict) for name, sub in node[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            out[key] = [to_draft7(sub, strict) for sub in node[key]]
    for key in _SCHEMA_ONE:
        sub = node.get(key)
        if isinstance(sub, list):
            out[key] = [to_draft7(item, strict) for item in sub]
        elif isinstance(sub, dict):
            out[key] = to_draft7(sub, strict)
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if out.get("nullable"):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if "required" in out:
        # The API server fills defaults before validating: a defaulted field is never missing.
        props = out.get("properties", {})
        required = [name for name in out["required"] if "default" not in props.get(name, {})]
        if required:
            out["required"] = required
        else:
            del out["required"]
    if (strict and isinstance(out.get("properties"), dict)
            and not out.get("x-kubernetes-preserve-unknown-fields")
            and "additionalProperties" not in out):
        out["additionalProperties"] = False
    return out


def _list_map_keys(validator, keys, instance, schema):
    """Items of a list-type "map" are unique by their key fields."""
    if not validator.is_type(instance, "array"):
        return
    seen: dict[tuple, int] = {}
    for index, item in enumerate(instance):
        if not isinstance(item, dict):
            continue
        key = tuple(json.dumps(item.get(name), sort_keys=True) for name in keys)
        if key in seen:
            shown = {name: item.get(name) for name in keys}
            yield ValidationError(f"items {seen[key]} and {index} have the same list-map key {shown}")
        seen.setdefault(key, index)


def _list_type(validator, list_type, instance, schema):
    """Items of a list-type "set" are unique."""
    if list_type != "set" or not validator.is_type(instance, "array"):
        return
    dumped = [json.dumps(item, sort_keys=True) for item in instance]
    if len(set(dumped)) != len(dumped):
        yield ValidationError(f"list-type set has duplicate items: {instance!r}")


KubeValidator = jsonschema.validators.extend(Draft7Validator, {
    "x-kubernetes-list-map-keys": _list_map_keys,
    "x-kubernetes-list-type": _list_type,
})


def schemas_present() -> bool:
    return all((SCHEMA_DIR / name).is_file() for name in SCHEMA_FILES.values())


def raw_schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / SCHEMA_FILES[kind]).read_text())


@cache
def validator(kind: str, strict: bool = True) -> Draft7Validator:
    schema = to_draft7(raw_schema(kind), strict)
    KubeValidator.check_schema(schema)
    return KubeValidator(schema)


def errors(kind: str, document: dict, strict: bool = True) -> list[str]:
    """Every schema violation of the document, as 'path: message' lines."""
    found = validator(kind, strict).iter_errors(document)
    return sorted(f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found)


def cel_guarded_paths(node: object, path: tuple = ()) -> list[tuple]:
    """Property paths carrying x-kubernetes-validations (CEL rules, not evaluated here)."""
    if not isinstance(node, dict):
        return []
    found = [path] if "x-kubernetes-validations" in node else []
    for name, sub in (node.get("properties") or {}).items():
        found += cel_guarded_paths(sub, (*path, name))
    return found

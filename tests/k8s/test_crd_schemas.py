"""Every ray.io object under k8s/ against KubeRay v1.7.0's CRD schema, strictly (unknown
fields refused), with the schema conversion rules of shared/k8s-schemas/README.md."""
from __future__ import annotations

import pytest

from tests.k8s import crd, manifests

pytestmark = pytest.mark.skipif(
    not crd.schemas_present(),
    reason=f"KubeRay CRD schemas not found at {crd.SCHEMA_DIR} (shared/ is expected beside the repo)",
)


def ray_objects() -> list[tuple[str, dict]]:
    return [(f, d) for f, d in manifests.documents() if d.get("apiVersion", "").startswith("ray.io/")]


def test_there_is_a_raycluster_to_validate():
    kinds = [doc["kind"] for _, doc in ray_objects()]
    assert kinds == ["RayCluster"]


@pytest.mark.parametrize("source,doc", ray_objects(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_ray_objects_match_the_crd_schema_strictly(source, doc):
    assert doc["apiVersion"] == "ray.io/v1"
    assert crd.errors(doc["kind"], doc) == [], source


def test_an_unknown_field_deep_in_the_pod_template_is_refused():
    cluster = manifests.raycluster()
    head = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    head["imagePullPolcy"] = "Always"
    found = crd.errors("RayCluster", cluster)
    assert len(found) == 1 and "imagePullPolcy" in found[0], found
    assert crd.errors("RayCluster", cluster, strict=False) == []


@pytest.mark.parametrize("mutate,where", [
    (lambda c: c["spec"].__setitem__("authOptions", {"mode": "password"}), "spec.authOptions.mode"),
    (lambda c: c["spec"]["workerGroupSpecs"][0].__setitem__("replicas", "2"), "spec.workerGroupSpecs.0.replicas"),
    (lambda c: c["spec"]["workerGroupSpecs"][0].pop("groupName"), "spec.workerGroupSpecs.0"),
    (lambda c: c["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"].append(
        {"containerPort": 6379, "name": "again"}), "spec.headGroupSpec.template.spec.containers.0.ports"),
    (lambda c: c["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        .__setitem__("memory", "4 GiB"), "spec.headGroupSpec.template.spec.containers.0.resources.limits.memory"),
], ids=["enum", "type", "required", "list-map-key", "quantity-pattern"])
def test_schema_violations_are_found_where_they_are(mutate, where):
    cluster = manifests.raycluster()
    mutate(cluster)
    found = crd.errors("RayCluster", cluster)
    assert found and all(line.startswith(f"{where}:") for line in found), found


def test_cel_guarded_fields_are_not_used():
    """x-kubernetes-validations are CEL rules this offline check cannot evaluate."""
    for path in crd.cel_guarded_paths(crd.raw_schema("RayCluster")):
        node = manifests.raycluster()
        for name in path:
            node = node.get(name) if isinstance(node, dict) else None
        assert node is None, f"{'.'.join(path)} is set but its CEL rules are not checked here"


# ---- the conversion rules themselves -------------------------------------------------------

def validate(schema: dict, instance: object, strict: bool = True) -> list[str]:
    converted = crd.to_draft7(schema, strict)
    crd.KubeValidator.check_schema(converted)
    return [e.message for e in crd.KubeValidator(converted).iter_errors(instance)]


def test_int_or_string_takes_both_and_nothing_else():
    schema = {"x-kubernetes-int-or-string": True}
    assert validate(schema, 8080) == [] and validate(schema, "http") == []
    assert validate(schema, 1.5) and validate(schema, None)


def test_nullable_adds_null_to_the_type():
    schema = {"type": "string", "format": "date-time", "nullable": True}
    assert validate(schema, None) == [] and validate(schema, "2026-01-01T00:00:00Z") == []
    assert validate({"type": "string"}, None)


def test_a_defaulted_property_is_not_required():
    schema = {"type": "object", "required": ["a", "b"],
              "properties": {"a": {"type": "integer", "default": 0}, "b": {"type": "string"}}}
    assert validate(schema, {"b": "x"}) == []
    assert validate(schema, {"a": 1}) == ["'b' is a required property"]


def test_strict_refuses_unknown_properties_unless_preserved():
    closed = {"type": "object", "properties": {"a": {"type": "string"}}}
    open_ = {**closed, "x-kubernetes-preserve-unknown-fields": True}
    assert validate(closed, {"a": "x", "zz": 1})
    assert validate(closed, {"a": "x", "zz": 1}, strict=False) == []
    assert validate(open_, {"a": "x", "zz": 1}) == []


def test_defaults_and_enums_are_data_not_schemas():
    schema = {"type": "object", "properties": {
        "mode": {"type": "string", "enum": ["nullable", "properties"], "default": "nullable"}}}
    assert crd.to_draft7(schema)["properties"]["mode"]["enum"] == ["nullable", "properties"]
    assert validate(schema, {"mode": "properties"}) == []


def test_list_semantics():
    ports = {"type": "array", "x-kubernetes-list-type": "map",
             "x-kubernetes-list-map-keys": ["containerPort", "protocol"], "items": {"type": "object"}}
    assert validate(ports, [{"containerPort": 1}, {"containerPort": 1, "protocol": "UDP"}]) == []
    assert validate(ports, [{"containerPort": 1}, {"containerPort": 1}])
    names = {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
    assert validate(names, ["a", "b"]) == [] and validate(names, ["a", "a"])

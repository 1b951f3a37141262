"""Every built-in object under k8s/ (Deployment, Service, ConfigMap, Secret) against the
Kubernetes API schemas shipped inside the kubernetes-validate package (offline), strictly:
unknown fields are refused."""
from __future__ import annotations

import pytest

from tests.k8s import manifests

kubernetes_validate = pytest.importorskip("kubernetes_validate")
VERSION = kubernetes_validate.latest_version()


def builtin_objects() -> list[tuple[str, dict]]:
    return [(f, d) for f, d in manifests.documents() if not d.get("apiVersion", "").startswith("ray.io/")]


def check(doc: dict) -> str | None:
    """None when valid, else kubernetes-validate's message."""
    try:
        kubernetes_validate.validate(doc, VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"{'.'.join(map(str, exc.path))}: {exc.message}"
    return None


def test_every_builtin_kind_is_here():
    kinds = sorted(doc["kind"] for _, doc in builtin_objects())
    assert kinds == ["ConfigMap", "Deployment", "Secret", "Service"]


@pytest.mark.parametrize("source,doc", builtin_objects(),
                         ids=lambda v: v if isinstance(v, str) else f"{v['kind']}-{v['metadata']['name']}")
def test_builtin_objects_match_the_kubernetes_schema_strictly(source, doc):
    assert check(doc) is None, source


@pytest.mark.parametrize("mutate", [
    lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__("imagePullPolcy", "Always"),
    lambda d: d["spec"]["strategy"].__setitem__("type", {"name": "Recreate"}),
    lambda d: d["spec"].__setitem__("replicas", "one"),
], ids=["unknown-field", "wrong-shape", "wrong-type"])
def test_a_broken_deployment_is_refused(mutate):
    broken = manifests.deployment()
    mutate(broken)
    assert check(broken) is not None

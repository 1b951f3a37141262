"""The Kubernetes manifests under k8s/, loaded as plain data for the tests."""
from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"


@cache
def _load() -> tuple[tuple[str, dict], ...]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path == KUSTOMIZATION:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path.name, doc))
    return tuple(docs)


def documents() -> list[tuple[str, dict]]:
    """(file name, object) for every object; deep copies, so tests may change them."""
    return copy.deepcopy(list(_load()))


def objects(kind: str | None = None) -> list[dict]:
    return [doc for _, doc in documents() if kind is None or doc.get("kind") == kind]


def one(kind: str, name: str | None = None) -> dict:
    found = [doc for doc in objects(kind) if name is None or doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def raycluster() -> dict:
    return one("RayCluster")


def deployment() -> dict:
    return one("Deployment", "raymuc-driver")


def pod_templates() -> list[tuple[str, dict]]:
    """(where, pod spec) for every pod this deployment makes."""
    cluster = raycluster()
    specs = [("head", cluster["spec"]["headGroupSpec"]["template"]["spec"])]
    specs += [(f"worker group {g['groupName']}", g["template"]["spec"])
              for g in cluster["spec"]["workerGroupSpecs"]]
    specs.append(("driver", deployment()["spec"]["template"]["spec"]))
    return specs


def pod_params() -> list:
    """pod_templates() as pytest parameters (where, pod spec), named by where."""
    return [pytest.param(where, spec, id=where) for where, spec in pod_templates()]


def containers(pod_spec: dict) -> list[dict]:
    return list(pod_spec.get("initContainers", [])) + list(pod_spec["containers"])


def container(pod_spec: dict, name: str) -> dict:
    found = [c for c in containers(pod_spec) if c["name"] == name]
    assert len(found) == 1, f"expected one container {name}, found {len(found)}"
    return found[0]


def env_value(container_spec: dict, name: str) -> dict:
    found = [e for e in container_spec.get("env", []) if e["name"] == name]
    assert len(found) == 1, f"{container_spec['name']}: expected one env {name}, found {len(found)}"
    return found[0]


def config_template() -> str:
    return one("ConfigMap", "raymuc-config")["data"]["raymuc.toml"]


def secret_values() -> dict[str, str]:
    return one("Secret", "raymuc-secrets")["stringData"]


def ray_token_secret_name(cluster: dict) -> str:
    """The Secret holding the Ray token: authOptions.secretName, else the one KubeRay
    generates, named after the RayCluster (key auth_token)."""
    return cluster["spec"]["authOptions"].get("secretName") or cluster["metadata"]["name"]

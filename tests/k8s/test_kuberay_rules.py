"""What the schemas cannot say: the KubeRay operator's own spec checks (mirrored from its
utils/validation.go), the image, the kustomization, shutdown and probe settings."""
from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from tests.k8s import manifests
from tests.k8s.manifests import K8S, KUSTOMIZATION, REPO

DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
QUANTITY = re.compile(r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
RAY_START_RESOURCE_PARAMS = ("num-cpus", "num-gpus", "memory", "resources")
BUILTIN_RESOURCES = {"cpu", "gpu", "memory"}


def groups() -> list[tuple[str, dict]]:
    spec = manifests.raycluster()["spec"]
    return [("head", spec["headGroupSpec"])] + [(g["groupName"], g) for g in spec["workerGroupSpecs"]]


def test_cluster_name_fits_kuberays_limits():
    name = manifests.raycluster()["metadata"]["name"]
    assert DNS1035.fullmatch(name) and len(name) <= 53   # 63 - len("-serve-svc")


@pytest.mark.parametrize("group,spec", [pytest.param(n, g, id=n) for n, g in groups()])
def test_group_resources_are_set_one_way_and_parse(group, spec):
    resources = spec.get("resources", {})
    start = spec.get("rayStartParams", {})
    assert not (resources and any(start.get(p) for p in RAY_START_RESOURCE_PARAMS)), \
        f"{group}: resources in both rayStartParams and the group's resources"
    assert "labels" not in start, f"{group}: use the group's labels field"
    for name, quantity in resources.items():   # KubeRay skips an unparsable one silently
        assert isinstance(quantity, str) and QUANTITY.match(quantity), f"{group}: {name}={quantity!r}"


def test_token_auth_needs_ray_2_52_or_newer():
    spec = manifests.raycluster()["spec"]
    assert spec["authOptions"]["mode"] == "token"
    assert tuple(int(p) for p in spec["rayVersion"].split(".")) >= (2, 52, 0)


def test_autoscaler_is_off_everywhere():
    spec = manifests.raycluster()["spec"]
    assert spec["enableInTreeAutoscaling"] is False and "autoscalerOptions" not in spec
    head = spec["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert "RAY_enable_autoscaler_v2" not in {e["name"] for e in head.get("env", [])}


def test_worker_replicas_lie_within_their_bounds():
    for group in manifests.raycluster()["spec"]["workerGroupSpecs"]:
        assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"], group["groupName"]


def test_room_workers_and_the_head_advertise_the_raymuc_resources():
    resources = dict(groups())
    assert resources["head"]["resources"]["CPU"] == "0"
    assert float(resources["head"]["resources"]["raymuc_head"]) >= 1
    assert int(resources["rooms"]["resources"]["raymuc_room"]) > 0


def test_the_resources_the_actors_ask_for_are_the_ones_the_pods_advertise():
    from actors.placement import DRIVER_RESOURCE, HEAD_RESOURCE, ROOM_RESOURCE, \
        control_placement
    resources = dict(groups())
    assert HEAD_RESOURCE in resources["head"]["resources"]
    assert ROOM_RESOURCE in resources["rooms"]["resources"]
    driver = manifests.container(manifests.deployment()["spec"]["template"]["spec"], "raymuc")["args"][0]
    assert f'"{DRIVER_RESOURCE}"' in driver
    assert control_placement(True) == {"resources": {HEAD_RESOURCE: 0.1}}
    assert control_placement(False) == {"resources": {"node:__internal_head__": 0.1}}


def test_the_head_declares_a_lost_node_dead_as_fast_as_a_local_head():
    from raymuc.rayhealth import NODE_LOSS_ENV
    head = manifests.raycluster()["spec"]["headGroupSpec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in manifests.container(head, "ray-head")["env"]}
    assert {k: env.get(k) for k in NODE_LOSS_ENV} == NODE_LOSS_ENV


def test_custom_resources_are_documented():
    doc = (REPO / "docs" / "kubernetes.md").read_text()
    names = {n for _, g in groups() for n in g.get("resources", {}) if n.lower() not in BUILTIN_RESOURCES}
    driver = manifests.container(manifests.deployment()["spec"]["template"]["spec"], "raymuc")["args"][0]
    names |= set(re.findall(r'"(raymuc_\w+)"', driver))
    assert names >= {"raymuc_head", "raymuc_room", "raymuc_driver"}
    assert [n for n in sorted(names) if n not in doc] == []


@pytest.mark.parametrize("where,pod_spec", manifests.pod_params())
def test_probes_and_a_grace_period_longer_than_rays_drain(where, pod_spec):
    main = pod_spec["containers"][0]
    assert "livenessProbe" in main and "startupProbe" in main, where
    if where != "driver":
        assert "readinessProbe" in main, where
    drain = [e["value"] for e in main.get("env", []) if e["name"] == "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S"]
    assert pod_spec["terminationGracePeriodSeconds"] > float(drain[0] if drain else 30), where


def test_the_driver_outlives_the_gateway_stop():
    # raymuc/service.py waits up to 15 s for the gateway to stop, then disconnects from Ray.
    assert manifests.deployment()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {KUSTOMIZATION.name}
    assert sorted(kustomization["resources"]) == sorted(on_disk)


# ---- the image ------------------------------------------------------------------------------

def dockerfile() -> list[str]:
    """Instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (K8S / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_image_is_python_311_slim_without_the_gpl_extra():
    lines = dockerfile()
    assert lines[0] == "FROM python:3.11-slim"
    installs = [line for line in lines if re.search(r"\bpip install\b", line)]
    assert len(installs) == 2, installs
    # Dependencies only from the runtime lock, hashes required; then RayMUC without them.
    assert re.search(r"pip install (--\S+ )*-r requirements/runtime\.lock( |$)", installs[0])
    assert "--require-hashes" in installs[0] and "--no-deps" in installs[0]
    assert re.search(r"pip install (--\S+ )*\.( |$)", installs[1]), installs
    assert "--no-deps" in installs[1] and "--no-build-isolation" in installs[1]
    assert not re.search(r"secantus|embedded|\.\[", " ".join(lines), re.I)


def test_image_holds_every_package_pyproject_installs():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    copied = {src for line in dockerfile() if line.startswith("COPY ") for src in line.split()[1:-1]}
    assert {"pyproject.toml", pyproject["project"]["readme"], "requirements/runtime.lock"} <= copied
    for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]:
        assert pattern.rstrip("*") in copied, f"package {pattern} is installed but not copied"


def test_image_has_what_the_pod_commands_run():
    lines = " ".join(dockerfile())
    commands = {c["command"][0] for _, pod in manifests.pod_templates()
                for c in manifests.containers(pod) if c.get("command")}
    assert commands <= {"tini", "/bin/bash"}
    assert "tini" not in commands or re.search(r"apt-get install .*\btini\b", lines)
    assert re.search(r"^USER 1000$", "\n".join(dockerfile()), re.M)

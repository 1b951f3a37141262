"""The mod_muc metrics (actors/metrics.py) through the OpenTelemetry SDK, scraped over
real HTTP from the Prometheus endpoint."""
from __future__ import annotations

import urllib.request

import pytest

from actors.metrics import MucMetrics

NAMES = ("mod_muc_deep_hibernations_count", "mod_muc_process_recreations_count",
         "mod_muc_hibernations_count", "mod_muc_rooms_hibernated", "mod_muc_rooms_online")


def scrape(url: str, openmetrics: bool = False) -> str:
    headers = {"Accept": "application/openmetrics-text; version=1.0.0"} if openmetrics else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return r.read().decode()


def samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


@pytest.fixture
def metrics():
    m = MucMetrics(["localhost", "example.org"], ("127.0.0.1", 0))
    yield m
    m.close()


def test_every_metric_is_served_with_the_host_type_label_from_the_start(metrics):
    assert metrics.url and metrics.url.startswith("http://127.0.0.1:")
    got = samples(scrape(metrics.url))
    for host_type in ("localhost", "example.org"):
        for name in NAMES[:3]:
            assert got[f'{name}_total{{host_type="{host_type}"}}'] == 0
        for name in NAMES[3:]:
            assert got[f'{name}{{host_type="{host_type}"}}'] == 0
    assert len(got) == 10                    # no target_info, no otel_scope labels, nothing else


def test_counters_count_and_gauges_show_the_last_probe(metrics):
    metrics.count("mod_muc_hibernations_count", "localhost")
    metrics.count("mod_muc_hibernations_count", "localhost")
    metrics.count("mod_muc_deep_hibernations_count", "example.org")
    metrics.set_rooms({"localhost": (5, 2)})
    got = samples(scrape(metrics.url))
    assert got['mod_muc_hibernations_count_total{host_type="localhost"}'] == 2
    assert got['mod_muc_deep_hibernations_count_total{host_type="example.org"}'] == 1
    assert got['mod_muc_rooms_online{host_type="localhost"}'] == 5
    assert got['mod_muc_rooms_hibernated{host_type="localhost"}'] == 2
    assert got['mod_muc_rooms_online{host_type="example.org"}'] == 0
    metrics.set_rooms({})                    # every room gone: back to 0, still exported
    assert samples(scrape(metrics.url))['mod_muc_rooms_online{host_type="localhost"}'] == 0
    assert metrics.snapshot()["mod_muc_hibernations_count"]["localhost"] == 2


def test_openmetrics_families_carry_the_spec_names(metrics):
    text = scrape(metrics.url, openmetrics=True)
    for name in NAMES[:3]:
        assert f"# TYPE {name} counter" in text
    for name in NAMES[3:]:
        assert f"# TYPE {name} gauge" in text


def test_a_taken_port_is_reported_not_fatal(metrics):
    port = int(metrics.url.rsplit(":", 1)[1].split("/")[0])
    other = MucMetrics(["localhost"], ("127.0.0.1", port))
    try:
        assert other.url is None and f"127.0.0.1:{port}" in other.error
        other.count("mod_muc_hibernations_count", "localhost")     # still counts
    finally:
        other.close()


def test_without_prometheus_nothing_listens():
    m = MucMetrics(["localhost"], None)
    try:
        assert m.url is None and m.error is None
        assert "mod_muc_rooms_online" in m.exposition()   # still rendered in-process
    finally:
        m.close()

"""The spec's mod_muc metrics through the OpenTelemetry SDK, served for Prometheus.

Only the supervisor actor exports them (counts are cluster-wide: the room hosts report
to it). Every metric carries the `host_type` label (the served XMPP host behind the
MUC domain, as in MongooseIM).

What appears on /metrics (Prometheus text format; prometheus_client, which the
OpenTelemetry exporter renders through, always ends a counter's sample with `_total`):
  mod_muc_deep_hibernations_count_total{host_type="localhost"}    counter
  mod_muc_process_recreations_count_total{host_type="localhost"}  counter
  mod_muc_hibernations_count_total{host_type="localhost"}         counter
  mod_muc_rooms_hibernated{host_type="localhost"}                 gauge
  mod_muc_rooms_online{host_type="localhost"}                     gauge
With `Accept: application/openmetrics-text` the counters' family names are exactly the
spec's (`# TYPE mod_muc_deep_hibernations_count counter`), samples still end in _total.
No target_info and no otel_scope_* labels: the label set is the spec's.

The gauges are values the supervisor computes every instrumentation.probe_interval
(`set_rooms`); a scrape between two probes sees the last probe (as MongooseIM's
periodic probe)."""
from __future__ import annotations

import logging
import threading
from typing import Iterable, Mapping

log = logging.getLogger("raymuc.metrics")

DEEP_HIBERNATIONS = "mod_muc_deep_hibernations_count"
PROCESS_RECREATIONS = "mod_muc_process_recreations_count"
HIBERNATIONS = "mod_muc_hibernations_count"
ROOMS_HIBERNATED = "mod_muc_rooms_hibernated"
ROOMS_ONLINE = "mod_muc_rooms_online"

COUNTERS = {
    DEEP_HIBERNATIONS: "A room process is stopped (applies only to persistent rooms).",
    PROCESS_RECREATIONS: "A room process is recreated from a persisted state.",
    HIBERNATIONS: "A room process becomes hibernated (garbage collected and put in wait state).",
}
GAUGES = {
    ROOMS_HIBERNATED: "How many rooms are in hibernated state. Does not include rooms in "
                      "\"deep hibernation\". Updated every instrumentation.probe_interval.",
    ROOMS_ONLINE: "How many rooms have running processes (includes rooms in a hibernated "
                  "state). Updated every instrumentation.probe_interval.",
}


class MucMetrics:
    def __init__(self, host_types: Iterable[str], prometheus: tuple[str, int] | None = None):
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from opentelemetry.metrics import CallbackOptions, Observation
        from opentelemetry.sdk.metrics import MeterProvider
        from prometheus_client import CollectorRegistry

        self.host_types = tuple(dict.fromkeys(host_types))
        # A private registry: nothing else living in this process (Ray's own metrics,
        # prometheus_client's process collector) leaks onto our endpoint.
        self.registry = CollectorRegistry()
        self._reader = PrometheusMetricReader(disable_target_info=True, scope_info_enabled=False,
                                              registry=self.registry)
        self._provider = MeterProvider(metric_readers=[self._reader])
        meter = self._provider.get_meter("raymuc.mod_muc")
        self._counters = {name: meter.create_counter(name, description=text)
                          for name, text in COUNTERS.items()}
        for counter in self._counters.values():     # exported at 0 from the start
            for host_type in self.host_types:
                counter.add(0, {"host_type": host_type})
        self._lock = threading.Lock()
        self._gauges: dict[str, dict[str, int]] = {name: {h: 0 for h in self.host_types}
                                                   for name in GAUGES}

        def observe(name):
            def callback(_options: CallbackOptions):
                with self._lock:
                    values = dict(self._gauges[name])
                return [Observation(v, {"host_type": h}) for h, v in values.items()]
            return callback
        for name, text in GAUGES.items():
            meter.create_observable_gauge(name, callbacks=[observe(name)], description=text)
        self.url: str | None = None
        self.error: str | None = None
        self._server = None
        if prometheus is not None:
            self._serve(*prometheus)

    def _serve(self, host: str, port: int) -> None:
        from prometheus_client import start_http_server
        try:
            self._server, _thread = start_http_server(port, host, registry=self.registry)
        except OSError as exc:     # the service runs on; the SRE sees why in stats and logs
            self.error = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
            log.error("metrics.listen_failed host=%s port=%s error=%s", host, port, exc)
            return
        bound = self._server.server_port
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{bound}/metrics"
        log.info("metrics.serving url=%s", self.url)

    def count(self, name: str, host_type: str, n: int = 1) -> None:
        self._counters[name].add(n, {"host_type": host_type})

    def set_rooms(self, counts: Mapping[str, tuple[int, int]]) -> None:
        """host_type -> (online, hibernated); host types not listed go to 0."""
        with self._lock:
            for host_type in set(self._gauges[ROOMS_ONLINE]) | set(counts):
                online, hibernated = counts.get(host_type, (0, 0))
                self._gauges[ROOMS_ONLINE][host_type] = online
                self._gauges[ROOMS_HIBERNATED][host_type] = hibernated

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Every metric's current values by host_type (for stats and `raymuc rooms`)."""
        out: dict[str, dict[str, float]] = {}
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                name = sample.name.removesuffix("_total")
                out.setdefault(name, {})[sample.labels.get("host_type", "")] = sample.value
        return out

    def exposition(self) -> str:
        from prometheus_client import generate_latest
        return generate_latest(self.registry).decode()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._provider.shutdown()

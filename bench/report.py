"""Results to files: the JSON as measured, and a Markdown summary with the ratios
(RayMUC against Prosody's own MUC and against the do-nothing component's ceiling)."""
from __future__ import annotations

import json
from pathlib import Path

RAYMUC = ("raymuc", "raymuc-workers", "raymuc-dense")


def write(results: dict, out_dir: Path, stamp: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{stamp}.json"
    md_path = out_dir / f"{stamp}.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path


def _f(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        digits = 1 if abs(value) >= 10 else 2 if abs(value) >= 1 or value == 0 else 3
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_f(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _section(title: str, header: list[str], rows: list[list], intro: str = "") -> list[str]:
    """A titled table, or nothing when no system has figures for it."""
    if not rows:
        return []
    return [title, ""] + ([intro, ""] if intro else []) + _table(header, rows)


def _scen(results: dict, target: str, key: str) -> dict | None:
    return results["targets"].get(target, {}).get("scenarios", {}).get(key)


def _label(results: dict, target: str) -> str:
    return results["targets"][target]["info"].get("label", target)


def _fanout_rows(results: dict, key: str) -> list[list]:
    rows = []
    for name in results["targets"]:
        s = _scen(results, name, key)
        if not s:
            continue
        lat, cpu = s["latency_ms"], s["cpu_us_per_delivery"]
        rows.append([_label(results, name), s["offered_deliveries_per_s"], s["delivered_per_s"], lat["p50"],
                     lat["p95"], lat["p99"], s["lost_pct"], cpu["server"], cpu["muc"], cpu["generator"],
                     s["cpu_util_pct"].get("generator")])
    return rows


def _ratio(a, b, digits: int = 2):
    return round(a / b, digits) if a is not None and b else None


def ratios(results: dict) -> list[list]:
    """[check, RayMUC target, value, goal, met?] for the issue's targets."""
    rows = []
    for name in RAYMUC:
        if name not in results["targets"]:
            continue
        for key, metric in (("s1_small_rooms", "delivered_per_s"), ("s2_big_room", "delivered_per_s"),
                            ("s3_max_rate", "max_delivered_per_s"), ("s7_gateway_rate", "max_delivered_per_s")):
            ours, null = _scen(results, name, key), _scen(results, "null", key)
            if ours and null:
                r = _ratio(ours.get(metric), null.get(metric))
                rows.append([f"{key}: throughput / component ceiling", name, r, ">= 0.90",
                             None if r is None else ("yes" if r >= 0.9 else "no")])
            pros = _scen(results, "prosody", key)
            if ours and pros:
                lat_key = "latency_ms_at_max" if key == "s3_max_rate" else "latency_ms"
                r = _ratio((ours.get(lat_key) or {}).get("p99"), (pros.get(lat_key) or {}).get("p99"))
                rows.append([f"{key}: p99 / Prosody MUC p99", name, r, "<= 1.5",
                             None if r is None else ("yes" if r <= 1.5 else "no")])
        if name == "raymuc-workers":    # the same dense placement without workers
            mine, single = _scen(results, name, "s7_gateway_rate"), _scen(results, "raymuc-dense", "s7_gateway_rate")
            if mine and single:
                r = _ratio(mine.get("max_rate_msgs_per_s"), single.get("max_rate_msgs_per_s"))
                rows.append(["s7: gateway rate / one gateway process's", name, r, "> 1.00",
                             None if r is None else ("yes" if r > 1.0 else "no")])
        c = _scen(results, name, "s5_cold_room")
        if c:
            p50 = c["join_ms"]["p50"]
            rows.append(["s5: cold room p50 ms", name, p50, "< 150",
                         None if p50 is None else ("yes" if p50 < 150 else "no")])
        d = _scen(results, name, "s6_live_rooms")
        if d:
            n = d["rooms_per_24gib"]
            rows.append(["s6: live rooms per 24 GiB", name, n, ">= 10,000",
                         None if n is None else ("yes" if n >= 10000 else "no")])
    return rows


def cpu_split_rows(results: dict) -> list[list]:
    rows = []
    for name in RAYMUC:
        for key, cpu_key, deliveries_key in (("s1_small_rooms", "cpu_s", None), ("s2_big_room", "cpu_s", None),
                                             ("s3_max_rate", "cpu_s_at_max", None),
                                             ("s7_gateway_rate", "cpu_s_at_max", None)):
            s = _scen(results, name, key)
            if not s or not s.get(cpu_key):
                continue
            cpu = s[cpu_key]
            wall = cpu.get("wall") or 0
            cells = [f"{name} {key}"]
            for group in ("xmpp", "raymuc.driver", "raymuc.gateway", "raymuc.rooms", "raymuc.registry",
                          "raymuc.ray", "raymuc.storage", "generator"):
                v = cpu.get(group)
                cells.append(None if v is None else f"{v:.2f} s ({v / wall * 100:.0f}%)" if wall else v)
            rows.append(cells)
    return rows


def _ramp_rows(results: dict, key: str) -> list[list]:
    rows = []
    for name in results["targets"]:
        s = _scen(results, name, key)
        if s:
            lat = s["latency_ms_at_max"] or {}
            cpu = s["cpu_us_per_delivery_at_max"] or {}
            rows.append([_label(results, name), s["max_rate_msgs_per_s"], s["max_delivered_per_s"], lat.get("p50"),
                         lat.get("p99"), cpu.get("server"), cpu.get("muc"), cpu.get("generator"),
                         s["first_failing_rate"], len(s["steps"])])
    return rows


def markdown(results: dict) -> str:
    meta = results["meta"]
    out = [f"# RayMUC benchmark — {meta['started']}", ""]
    m = meta["machine"]
    out += [f"Machine: {m['cpus']} CPUs, {m['mem_gib']} GiB, {m['kernel']}; load average at start "
            f"{meta['loadavg_start']}, at end {meta.get('loadavg_end')}. Profile `{meta['profile']['name']}`; "
            f"run took {meta.get('run_s')} s. Versions: {meta['versions']}.", ""]
    if meta.get("generator_parse_us_per_stanza") is not None:
        out += [f"Load client: {meta['generator_parse_us_per_stanza']} µs CPU to split and read one received "
                f"groupchat (scanner + marker, measured at start), event loop {meta.get('event_loop')}; "
                "its total CPU is the 'generator' column.", ""]
    if meta.get("warning"):
        out += [f"**{meta['warning']}**", ""]
    hdr = ["system", "offered/s", "delivered/s", "p50 ms", "p95 ms", "p99 ms", "lost %",
           "CPU µs/deliv. server", "MUC", "generator", "generator % of a core"]
    p = meta["profile"]
    out += _section(f"## 1. {p['s1_rooms']} rooms × {p['s1_room_size']} clients, {p['s1_rate']:g} messages/s",
                    hdr, _fanout_rows(results, "s1_small_rooms"))
    out += _section(f"## 2. One room of {p['big_room']}, {p['s2_rate']:g} messages/s",
                    hdr, _fanout_rows(results, "s2_big_room"))
    ramp_header = ["system", "messages/s", "deliveries/s", "p50 ms", "p99 ms", "CPU µs/deliv. server", "MUC",
                   "generator", "first failing rate", "steps"]
    out += _section(f"## 3. Highest rate with p99 < {p['s3_p99_ms']:g} ms (room of {p['big_room']})",
                    ramp_header, _ramp_rows(results, "s3_max_rate"))
    rows = []
    for name in results["targets"]:
        s = _scen(results, name, "s4_joins")
        if s:
            j = s["join_ms"]
            rows.append([_label(results, name), j["p50"], j["p95"], j["p99"], s["total_s"], s["joins_per_s"],
                         s["create_ms"]])
    out += _section(f"## 4. {p['big_room']} clients join one room (first creates it, the rest at once)",
                    ["system", "join p50 ms", "p95 ms", "p99 ms", "all joined s", "joins/s", "room creation ms"], rows)
    out += _section(f"## 7. Many small rooms: highest rate with p99 < {p['s3_p99_ms']:g} ms "
                    f"({p['s7_rooms']} rooms × {p['s7_room_size']}, the gateway's stanza rate)",
                    ramp_header, _ramp_rows(results, "s7_gateway_rate"))
    rows = []
    for name in results["targets"]:
        s = _scen(results, name, "s5_cold_room")
        if s:
            j = s["join_ms"]
            rows.append([_label(results, name), s["rooms"], j["p50"], j["p95"], j["max"], s["errors"], s["method"]])
    out += _section("## 5. Cold room: join to a stored room that is not in memory",
                    ["system", "rooms", "p50 ms", "p95 ms", "max ms", "errors", "how the rooms were made cold"], rows)
    rows = []
    for name in results["targets"]:
        s = _scen(results, name, "s6_live_rooms")
        if s:
            rows.append([_label(results, name), s["rooms"], s["per_room_uss_kib"], s["per_process_uss_mib"],
                         f"{s['processes_before']} → {s['processes_after']}", s["memory_before_mib"],
                         s["avg_uss_kib_all_in"], s["rooms_per_24gib"], s.get("config_limit_rooms"),
                         s["capacity_model"]])
    out += _section("## 6. Live rooms with one occupant each (memory of every process of the system)",
                    ["system", "rooms", "per room KiB (USS)", "per new process MiB (USS)", "processes",
                     "base MiB (PSS)", "all-in KiB/room", "rooms per 24 GiB", "config limit", "model"], rows)
    out += _section("## Targets of issue 7", ["check", "RayMUC", "value", "goal", "met"], ratios(results))
    out += _section("## Where RayMUC's CPU goes (seconds in the measured window, % of one core)",
                    ["window", "Prosody", "driver", "gateway actor", "room actors", "registry+supervisor",
                     "Ray daemons", "SecantusDB", "generator"], cpu_split_rows(results))
    rows = []
    for name, t in results["targets"].items():
        h = t.get("hops_at_rest_ms")
        s2 = _scen(results, name, "s2_big_room") or {}
        load = s2.get("room_disco_rtt_ms") or {}
        if h:
            rows.append([_label(results, name), h["server_ping"]["p50"], h["service_disco"]["p50"],
                         h["room_disco"]["p50"], h["room_disco"]["p99"], load.get("p50"), load.get("p99")])
    out += _section("## Round trips by hop (ms): where latency comes from",
                    ["system", "server ping p50", "service disco p50", "room disco p50", "room disco p99",
                     "room disco p50 in scenario 2", "p99 in scenario 2"], rows,
                    "server ping = c2s only; service disco = to the MUC domain (through the component link "
                    "for components); room disco = to a room (RayMUC: through the room's pipe and a Ray call); "
                    "'in scenario 2' = sampled every 100 ms during its window, queued behind the groupchats.")
    rows, groups = [], []
    for t in results["targets"].values():
        for g in (t.get("idle_cpu") or {}).get("pct_of_core", {}):
            if g not in groups:
                groups.append(g)
    for name, t in results["targets"].items():
        pct = (t.get("idle_cpu") or {}).get("pct_of_core")
        mem = t.get("memory_at_rest_mib") or {}
        if pct:
            rows.append([_label(results, name)] + [pct.get(g) for g in groups] + [round(sum(mem.values()), 1)])
    out += _section("## At rest: CPU % of one core per process group, and memory, before any client connects", ["system"] + groups + ["memory MiB (PSS, all)"], rows)
    out += pyspy_lines(results)
    problems = [(n, k, v) for n, t in results["targets"].items() for k, v in t.get("errors", {}).items()]
    problems += [(n, k, f"skipped: {v}") for n, t in results["targets"].items() for k, v in t.get("skipped", {}).items()]
    problems += [(n, "target", v) for n, v in results.get("not_run", {}).items()]
    if problems:
        out += ["## Not measured", ""] + [f"- {n} {k}: {v}" for n, k, v in problems] + [""]
    return "\n".join(out)


def pyspy_lines(results: dict, top: int = 8) -> list[str]:
    """The --profile windows: busiest functions per RayMUC process."""
    lines = []
    for name, t in results["targets"].items():
        for window, w in (t.get("pyspy") or {}).items():
            lines += [f"### {name}, {window} (extra window at {w['rate_msgs_per_s']:g} messages/s, "
                      f"{w['delivered_per_s']:,.0f} deliveries/s, p99 {w['latency_ms']['p99']} ms)", ""]
            for proc, prof in w["profiles"].items():
                if "error" in prof:
                    lines += [f"- {proc}: py-spy failed: {prof['error']}"]
                    continue
                cpu = ", ".join(f"{f} {p}%" for f, p in prof["top_self_pct"][:top])
                incl = ", ".join(f"{f} {p}%" for f, p in prof["top_inclusive_pct"][:top])
                lines += [f"- **{proc}** ({prof['samples']} samples) self: {cpu}", f"  - including callees: {incl}"]
            lines.append("")
    return (["## py-spy profiles of RayMUC (share of samples)", ""] + lines) if lines else []

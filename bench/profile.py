"""Sizes and durations of a benchmark run: the full run (the issue's figures, < 15 min on
2 cores) and a quick one for developing the harness. Any field can be overridden from
the command line (`--set name=value`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class Profile:
    name: str = "full"
    big_room: int = 200             # scenarios 2, 3, 4: clients in the one room
    s1_rooms: int = 5
    s1_room_size: int = 10
    s1_rate: float = 100.0          # messages/s, all rooms together
    s2_rate: float = 20.0
    warmup: float = 3.0             # seconds before the measured window
    duration: float = 12.0          # measured window of scenarios 1 and 2
    s3_start_rate: float = 20.0
    s3_factor: float = 1.5
    s3_max_steps: int = 7
    s3_refine: int = 2              # bisection steps between the last pass and the first fail
    s3_warmup: float = 2.0
    s3_duration: float = 6.0
    s3_p99_ms: float = 100.0
    s3_min_delivery: float = 0.9    # delivered/offered deliveries for a step to pass
    s7_rooms: int = 50              # scenario 7: many small rooms, the gateway's stanza rate
    s7_room_size: int = 4
    s7_start_rate: float = 150.0    # messages/s in all rooms; then as scenario 3
    s7_max_steps: int = 4
    s7_refine: int = 1
    gateway_workers: int = 2        # raymuc-workers: [ray] gateway_workers
    cold_rooms: int = 50
    cold_rooms_actor: int = 20      # scenario 5 with one actor per room (each cold join starts a process)
    density_rooms: int = 20         # scenario 6 with one actor per room (a process each)
    density_rooms_dense: int = 2000  # scenario 6 for RayMUC with dense placement
    density_rooms_server: int = 2000  # scenario 6 for Prosody's and ejabberd's MUC (lumpy allocators)
    density_clients: int = 10       # occupants; each sits alone in many rooms
    density_warm_hosts: int = 1     # dense placement: first start every host actor (1) or not (0)
    setup_concurrency: int = 8      # parallel logins / room creations
    body_padding: int = 60          # characters of filler text in each groupchat body
    probe_samples: int = 30         # round trips per hop at rest (server, MUC service, room)
    settle_s: float = 5.0           # after a system started, before measuring it at rest
    idle_s: float = 5.0             # CPU of each system at rest, after the clients logged in
    drain: float = 5.0              # seconds to wait for late deliveries after a window
    dense_rooms_per_actor: int = 1000  # raymuc-dense: live rooms per host actor (a full host refuses more)
    dense_room_hosts: int = 16      # raymuc-dense: host actors rooms are hashed onto
    max_minutes: float = 15.0       # the run skips what no longer fits

    @property
    def accounts(self) -> int:
        return max(self.big_room, self.s1_rooms * self.s1_room_size, self.s7_rooms * self.s7_room_size,
                   self.density_clients) + 4

    def as_dict(self) -> dict:
        return asdict(self)

    def with_overrides(self, pairs: list[str]) -> "Profile":
        kinds = {f.name: f.type for f in fields(self)}
        changes = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or key not in kinds or key == "name":
                raise ValueError(f"--set {pair!r}: expected NAME=VALUE with NAME one of "
                                 f"{', '.join(k for k in kinds if k != 'name')}")
            caster = {"int": int, "float": float}.get(str(kinds[key]), str)
            try:
                changes[key] = caster(value)
            except ValueError:
                raise ValueError(f"--set {pair!r}: {value!r} is not a valid {kinds[key]}") from None
        return replace(self, **changes)


FULL = Profile()
QUICK = Profile(name="quick", big_room=20, s1_rooms=2, s1_room_size=5, s1_rate=20.0, s2_rate=5.0,
                warmup=1.0, duration=4.0, s3_start_rate=5.0, s3_factor=2.0, s3_max_steps=3, s3_refine=0,
                s3_warmup=1.0, s3_duration=3.0, s7_rooms=4, s7_room_size=3, s7_start_rate=20.0,
                s7_max_steps=2, s7_refine=0, cold_rooms=5, cold_rooms_actor=3, density_rooms=3,
                density_rooms_dense=40, density_rooms_server=200, density_clients=4,
                probe_samples=10, settle_s=2.0, idle_s=2.0, drain=3.0, dense_rooms_per_actor=50, dense_room_hosts=4,
                max_minutes=10.0)

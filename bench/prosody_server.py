"""The benchmark's Prosody: raymuc.prosody.ProsodyServer with its built-in MUC tuned for load.

ProsodyServer renders the built-in MUC component last, so lines appended to its config
belong to that component: `muc_room_cache_size` is raised so that live rooms are not
swapped to disk (Prosody's default keeps 100 rooms in memory), which would otherwise
distort the live-rooms scenario. Accounts are created with prosodyctl in parallel.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from raymuc.prosody import ProsodyServer

BUILTIN_MUC_EXTRA = (
    "\tmuc_room_cache_size = 100000",
    "\tmax_history_messages = 20",
)


class BenchProsody(ProsodyServer):
    def _write_config(self) -> None:      # noqa: D401 - extends the parent's file
        super()._write_config()
        if self.builtin_muc is not None:
            text = self.config_path.read_text()
            self.config_path.write_text(text + "\n".join(BUILTIN_MUC_EXTRA) + "\n")

    def processes(self) -> list[int]:
        return [self.pid] if self.pid is not None else []

    def register_many(self, users: list[str], password: str, workers: int = 4) -> None:
        """prosodyctl costs ~35-60 ms per account; a few in parallel."""
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda user: self.register(user, password), users))

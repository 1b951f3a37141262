"""What the `raymuc` subcommands share: loading the config file, setting up logging."""
from __future__ import annotations

import logging
import sys


def load_config_or_exit(path: str):
    """The config at `path`, or a clear message and exit code 2."""
    from raymuc.config import ConfigError, load_config
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"raymuc: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as exc:
        print(f"raymuc: cannot read {path}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(2) from None


def setup_logging(config) -> None:
    level = getattr(logging, getattr(config.general, "loglevel", "warning").upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if level <= logging.WARNING:
        # The driver's few start/stop lines (ray.started, service.ready, ...; docs/sre.md)
        # show at the default level too: they say where the dashboard and /metrics are.
        logging.getLogger("raymuc.service").setLevel(min(level, logging.INFO))

"""`raymuc check-config`: validate a config file and print the effective configuration."""
from __future__ import annotations

import os
import sys
from typing import TextIO

import tomlkit

from .load import ConfigError, load_config
from .model import Config


def effective_toml(path: str | os.PathLike[str], hide_secrets: bool = True) -> str:
    """The effective configuration (defaults filled in) as TOML text; raises ConfigError."""
    return config_toml(load_config(path), hide_secrets)


def config_toml(config: Config, hide_secrets: bool = True) -> str:
    doc = config.to_toml_dict(hide_secrets=hide_secrets)
    for section in ("acl", "access"):  # one line per class/rule, as people write them
        for name, tables in doc[section].items():
            items = tomlkit.array()
            for table in tables:
                inline = tomlkit.inline_table()
                inline.update(table)
                items.append(inline)
            doc[section][name] = items
    return tomlkit.dumps(doc)


def check_config_main(path: str | os.PathLike[str], out: TextIO | None = None,
                      err: TextIO | None = None) -> int:
    """Print the effective config (secrets masked) and return 0, or print the error to
    stderr and return 2."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        config = load_config(path)
    except ConfigError as e:
        print(f"config error: {e}", file=err)
        return 2
    out.write(f"# effective configuration of {os.fspath(path)} (defaults filled in)\n")
    for note in config.notes:
        print(f"config note: {os.fspath(path)}: {note}", file=err)
        out.write(f"# note: {note}\n")
    out.write(config_toml(config))
    return 0

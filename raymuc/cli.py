"""The `raymuc` command."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from raymuc.cli_support import load_config_or_exit, setup_logging

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def cmd_run(args) -> int:
    config = load_config_or_exit(args.config)
    setup_logging(config)
    for note in config.notes:   # what was adjusted as MongooseIM would (config/compat.py)
        logging.getLogger("raymuc.config").warning("config.note file=%s %s", args.config, note)
    from raymuc.service import run
    return run(config)


def cmd_check(args) -> int:
    from raymuc.config.check import check_config_main
    return check_config_main(args.config)


def cmd_demo(args) -> int:
    from raymuc.demo import demo
    return demo(args.data_dir, args.c2s_port)


def cmd_reference(args) -> int:
    from raymuc.config.reference import reference_markdown
    print(reference_markdown())
    return 0


def cmd_import(args) -> int:
    from raymuc.config.import_mim import import_config_main
    return import_config_main(args.mongooseim_config, args.output, sys.stdout, sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="raymuc", description="XEP-0045 MUC on Ray")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run the service in the foreground")
    p.add_argument("--config", required=True, help="TOML config file")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("check-config", help="validate a config file and print the effective config")
    p.add_argument("config")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("demo", help="a private Prosody with demo accounts plus RayMUC on embedded defaults")
    p.add_argument("--data-dir", default="var/demo")
    p.add_argument("--c2s-port", type=int, default=None, help="client port (default 5222 if free)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("import-config", help="write a RayMUC config from a MongooseIM "
                       "mongooseim.toml; what was left out, and why, goes to stderr")
    p.add_argument("mongooseim_config")
    p.add_argument("-o", "--output", help="write the config here instead of stdout")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("config-reference", help="print the config reference (Markdown)")
    p.set_defaults(func=cmd_reference)
    from raymuc import admin_cli
    admin_cli.add_commands(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:       # `raymuc rooms | head`: the reader is done, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # quiet exit flush
        return 0


if __name__ == "__main__":
    sys.exit(main())

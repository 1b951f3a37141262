"""Every TOML example of the mod_muc spec, merged onto a minimal base, passes
`raymuc check-config` and reaches the effective configuration as written, or with a note
saying why not (tests/e2e/test_spec_examples.py starts the service with them)."""
from __future__ import annotations

import io
import tomllib

import pytest

from raymuc.config import parse_config
from raymuc.config.check import check_config_main
from tests.config.spec_examples import BASE, SPEC, spec_examples

if not SPEC.is_file():
    pytest.skip(f"spec file not found at {SPEC.resolve()}", allow_module_level=True)

EXAMPLES = spec_examples(SPEC.read_text(encoding="utf-8"))
# Written as the spec says but changed, each with a note in check-config's output:
NOTED = {("modules", "mod_muc", "default_room", "logging"): "no [modules.mod_muc_log]"}


def leaves(tree, path=()):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, (*path, key))
    elif isinstance(tree, list) and tree and all(isinstance(v, dict) for v in tree):
        for i, value in enumerate(tree):
            yield from leaves(value, (*path, i))
    else:
        yield path, tree


def lookup(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def test_the_spec_examples_were_read():
    assert sum(e.table is not None for e in EXAMPLES) >= 45
    assert sum(e.table is None for e in EXAMPLES) == 5


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{i}-{e.name}" for i, e in enumerate(EXAMPLES)])
def test_spec_example_passes_check_config_and_takes_effect(example, tmp_path):
    path = tmp_path / "raymuc.toml"
    path.write_text(BASE + example.toml())
    out, err = io.StringIO(), io.StringIO()
    assert check_config_main(path, out, err) == 0, err.getvalue()
    assert tomllib.loads(out.getvalue())          # what it prints is the effective TOML
    config = parse_config(path.read_text())
    effective = config.to_toml_dict(hide_secrets=False)
    for leaf, value in leaves(tomllib.loads(example.toml())):
        if leaf in NOTED:
            assert any(NOTED[leaf] in note for note in config.notes), config.notes
            assert f"config note: {path}: " in err.getvalue()
            continue
        assert lookup(effective, leaf) == value, leaf


def test_every_example_at_once():
    merged: dict[str, list[str]] = {}
    for example in EXAMPLES:
        if example.table is not None:
            merged.setdefault(example.table, []).append(example.text)
    text = BASE + "".join(f"[{table}]\n" + "\n".join(lines) + "\n" for table, lines in merged.items())
    config = parse_config(text)
    assert config.muc.host == "group.@HOST@" and config.muc.max_users == 100
    assert config.muc.default_room.config["password"] == "secret"

"""The schema against the mod_muc spec text: the test reads the spec (names, Syntax,
Default, descriptions) instead of restating it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomlkit

from raymuc.config import schema
from raymuc.config.checks import Invalid

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "spec" / "mod_muc-options.txt"
if not SPEC.is_file():
    pytest.skip(f"spec file not found at {SPEC.resolve()} (CI keeps it in ../shared/spec "
                "next to the repository)", allow_module_level=True)

SPEC_TEXT = SPEC.read_text(encoding="utf-8")
PREFIX = "modules.mod_muc."


def spec_options() -> dict[str, dict[str, str]]:
    """{"history_size": {"syntax": ..., "default": ...}, "default_room.title": {...}}"""
    entries: dict[str, dict[str, str]] = {}
    current = None
    for raw in SPEC_TEXT.splitlines():
        line = raw.strip().lstrip("•").strip()
        m = re.fullmatch(re.escape(PREFIX) + r"([\w.]+)", line)
        if m:
            current = m.group(1)
            entries[current] = {}
        elif current and line.startswith(("Syntax:", "Default:")):
            key, _, value = line.partition(":")
            entries[current].setdefault(key.lower(), value.strip())
    return entries


SPEC_OPTIONS = spec_options()
TOP = {k: v for k, v in SPEC_OPTIONS.items() if "." not in k and k != "default_room"}
ROOM = {k.split(".", 1)[1]: v for k, v in SPEC_OPTIONS.items() if k.startswith("default_room.")}
MUC = schema.section("modules.mod_muc")
DEFAULT_ROOM = schema.section("modules.mod_muc.default_room")
AFFILIATION = schema.section("modules.mod_muc.default_room.affiliations")


def spec_default(text: str) -> object:
    """'"conference.@HOST@"' -> str, '90000 (milliseconds, 90 seconds)' -> 90000, '[]' -> []"""
    m = re.match(r'("[^"]*"|\[\]|true|false|\d+)', text)
    assert m, f"cannot read a default from {text!r}"
    return tomlkit.parse(f"v = {m.group(1)}").unwrap()["v"]


def test_spec_was_read():
    assert len(TOP) >= 20 and len(ROOM) >= 20, "the spec parser found too few options"


def test_mod_muc_option_names_match_the_spec():
    assert [o.name for o in MUC.options] == list(TOP)


def test_default_room_option_names_match_the_spec():
    ours = {o.name for o in DEFAULT_ROOM.options} | {"affiliations"}
    assert ours == set(ROOM)


@pytest.mark.parametrize("name", list(TOP))
def test_mod_muc_default(name):
    assert MUC.option(name).default_toml() == spec_default(TOP[name]["default"])


@pytest.mark.parametrize("name", [n for n in ROOM if n != "affiliations"])
def test_default_room_default(name):
    assert DEFAULT_ROOM.option(name).default_toml() == spec_default(ROOM[name]["default"])


def test_affiliations_default_is_empty():
    from raymuc.config import parse_config
    assert spec_default(ROOM["affiliations"]["default"]) == []
    config = parse_config('[general]\nhosts = ["localhost"]\n[component]\npassword = "x"\n')
    assert config.muc.default_room.affiliations == ()


def probes(syntax: str) -> tuple[list[object], list[object]]:
    """Values the spec's Syntax line accepts and refuses."""
    if syntax.startswith("string, one of"):
        good = re.findall(r'"([^"]*)"', syntax)
        return good, ["other", "", 1]
    if syntax.startswith("string, a valid"):
        return [], [1, "", "bad domain"]
    if "integer" in syntax:
        low = 1 if syntax.startswith("positive") else 0
        good: list[object] = [low, low + 7]
        bad: list[object] = [low - 1, "1", 1.5, True]
        (good if "infinity" in syntax else bad).append("infinity")
        return good, bad
    if syntax == "boolean":
        return [True, False], [1, "true"]
    if syntax == "non-empty string":
        return ["x"], ["", 1]
    if syntax == "string":
        return ["", "x"], [1, None]
    if syntax == "array of non-empty strings":
        return [[]], [[""], "x", [1]]
    raise AssertionError(f"no probes for syntax {syntax!r}")


def options_with_syntax():
    for name, entry in TOP.items():
        yield pytest.param(MUC.option(name), entry["syntax"], id=f"mod_muc.{name}")
    for name, entry in ROOM.items():
        if name != "affiliations":
            yield pytest.param(DEFAULT_ROOM.option(name), entry["syntax"], id=f"default_room.{name}")


@pytest.mark.parametrize("option, syntax", list(options_with_syntax()))
def test_checker_follows_the_spec_syntax(option, syntax):
    good, bad = probes(syntax)
    for value in good:
        option.check.parse(value)
    for value in bad:
        with pytest.raises(Invalid):
            option.check.parse(value)


def test_infinity_is_none_in_the_model_and_rendered_back():
    for name, entry in TOP.items():
        if "infinity" in entry["syntax"]:
            check = MUC.option(name).check
            assert check.parse("infinity") is None
            assert check.render(None) == "infinity"


def test_affiliation_keys_match_the_spec():
    heading = re.search(r"^\W*" + re.escape(PREFIX + "default_room.affiliations") + r"\s*$",
                        SPEC_TEXT, re.MULTILINE)
    assert heading, "no affiliations entry in the spec"
    block = SPEC_TEXT[heading.end():].split("Default:", 1)[0]
    spec_keys = re.findall(r"•\s*(\w+) - ", block)
    assert spec_keys == [o.name for o in AFFILIATION.options]


def _normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("option", list(MUC.options) + list(DEFAULT_ROOM.options),
                         ids=lambda o: o.name)
def test_doc_lines_are_taken_from_the_spec(option):
    assert _normalised(option.doc).rstrip(".") in _normalised(SPEC_TEXT)

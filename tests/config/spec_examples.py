"""The TOML examples of the mod_muc spec (../shared/spec/mod_muc-options.txt), read from
the spec text: each option's one-line `Example:` and every numbered code block."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "spec" / "mod_muc-options.txt"
PREFIX = "modules.mod_muc."
BASE = """[general]
hosts = ["localhost"]
[component]
password = "secret"
"""


@dataclass(frozen=True)
class Example:
    name: str           # the option ("default_room.title") or the block's heading
    table: str | None   # the table a one-line example belongs in; None for a block
    text: str           # as the spec writes it

    def toml(self) -> str:
        """The example as a TOML fragment to put after the base: a one-line example
        under its option's table; a block without a table header under [modules.mod_muc]
        (the spec writes those as a mod_muc section's contents)."""
        if self.table is not None:
            return f"[{self.table}]\n{self.text}\n"
        if self.text.lstrip().startswith("["):
            return self.text + "\n"
        return f"[modules.mod_muc]\n{self.text}\n"


def spec_examples(text: str) -> list[Example]:
    lines = text.splitlines()
    found: list[Example] = []
    option = heading = None
    i = 0
    while i < len(lines):
        line = lines[i].strip().lstrip("•").strip()
        m = re.fullmatch(re.escape(PREFIX) + r"([\w.]+)", line)
        if m:
            option = heading = m.group(1)
        elif line and not line[0].isdigit() and not lines[i].startswith(" ") and ":" not in line:
            heading = line       # a section heading ("Example Configuration", ...)
        if line.startswith("Example:") and line != "Example:":
            table = PREFIX + option.rpartition(".")[0] if "." in option else PREFIX.rstrip(".")
            found.append(Example(option, table, line.removeprefix("Example:").strip()))
        if line == "1" and i + 1 < len(lines) and lines[i + 1].strip() == "2":
            count = 0           # numbered block: "1".."N", then exactly N lines of code
            while i < len(lines) and lines[i].strip() == str(count + 1):
                count, i = count + 1, i + 1
            block = lines[i:i + count]
            indent = min(len(b) - len(b.lstrip()) for b in block if b.strip())
            found.append(Example(f"{heading} (block)", None,
                                 "\n".join(b[indent:] for b in block).strip("\n")))
            i += count
            continue
        i += 1
    return found

"""Render the configuration reference (Markdown) from the schema tables."""
from __future__ import annotations

from .checks import toml_literal
from .compat import BEHAVIOUR
from .schema import SECTIONS, Option, Presence, Section

_INTRO = """\
Every option below is checked when the file is loaded; an unknown key, a wrong type or an
out-of-range value stops the service with the key, the value and what is allowed.
`"infinity"` is accepted only where listed. Sections marked *optional* switch a feature
on by being present; the others may be left out to take every default.
`raymuc check-config FILE` prints the effective configuration (secrets masked, and in URIs the
password, a userinfo without one, and query values other than well-known harmless options
such as replicaSet); configuration errors mask them too.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(opt: Option) -> str:
    if opt.required:
        return "*required*"
    value = opt.default_toml()
    return "*unset*" if value is None else f"`{toml_literal(value, limit=200)}`"


def _heading(sec: Section) -> str:
    path = sec.path.replace("*", "NAME")
    if sec.array:
        text = f"`{path} = [{{...}}, ...]`" if "NAME" in path else f"`[[{path}]]`"
    else:
        text = f"`[{path}]`"
    if sec.presence is Presence.OPTIONAL:
        text += " (optional)"
    elif sec.presence is Presence.REQUIRED:
        text += " (required)"
    return "### " + text


def _differences() -> list[str]:
    lines = ["## Differences from MongooseIM", "",
             "Where MongooseIM accepts a config that a strict reading would refuse, RayMUC does "
             "what MongooseIM does and `check-config` prints a `config note:` saying so (`raymuc "
             "run` logs it as `config.note`). Where RayMUC deliberately refuses, the error says "
             "how to fix the file.", "",
             "| Config | MongooseIM | RayMUC |", "| --- | --- | --- |"]
    lines += [f"| {_cell(a)} | {_cell(b)} | {_cell(c)} |" for a, b, c in BEHAVIOUR]
    return lines + [""]


def reference_markdown() -> str:
    """The configuration reference as Markdown, generated from the schema."""
    lines = ["## Configuration reference", "", _INTRO]
    for sec in SECTIONS:
        lines += [_heading(sec), "", sec.doc, ""]
        if not sec.options:
            continue
        lines += ["| Option | Allowed | Default | Description |", "| --- | --- | --- | --- |"]
        for opt in sec.options:
            doc = opt.doc + (f" *{opt.note}*" if opt.note else "")
            if opt.secret:
                doc += " (secret: masked by check-config)"
            lines.append(f"| `{opt.name}` | {_cell(opt.allowed)} | {_cell(_default(opt))} "
                         f"| {_cell(doc)} |")
        lines.append("")
    return "\n".join(lines + _differences())

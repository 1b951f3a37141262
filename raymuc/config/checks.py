"""Value checkers for config options. Each has `allowed` (the text after "expected" in
errors and in the reference), `parse` (TOML value -> model value, raising Invalid) and
`render` (model value -> TOML value, for the effective config)."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from actors.core.access import check_glob, check_regexp
from actors.core.fields import FieldValueError, Kind, RoomField
from actors.core.jid import JID, JidError


class Invalid(ValueError):
    """The value is not allowed; str() is what is allowed instead."""


_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def is_domain(text: object) -> bool:
    """An ASCII DNS name (letters, digits, hyphens; dot-separated labels)."""
    if not isinstance(text, str) or not text or len(text) > 253:
        return False
    return all(_LABEL.fullmatch(label) for label in text.lower().split("."))


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def is_host_name(text: str) -> bool:
    """A name a resolver looks up: like is_domain, and underscores are allowed too
    (container and compose service names such as my_server; MongooseIM takes them)."""
    return (0 < len(text) <= 253
            and all(_HOST_LABEL.fullmatch(label) for label in text.lower().split(".")))


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def quote(value: object) -> str:
    return '"' + str(value) + '"'


@dataclass(frozen=True)
class Check:
    allowed: str = ""

    def parse(self, value: object) -> object:
        raise NotImplementedError

    def render(self, value: object) -> object:
        return value


@dataclass(frozen=True)
class Boolean(Check):
    allowed: str = "a boolean (true or false)"

    def parse(self, value: object) -> object:
        if isinstance(value, bool):
            return value
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class Text(Check):
    non_empty: bool = False
    allowed: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed", "a non-empty string" if self.non_empty else "a string")

    def parse(self, value: object) -> object:
        if isinstance(value, str) and (value or not self.non_empty):
            return value
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class OneOf(Check):
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed", "one of " + ", ".join(map(quote, self.values)))

    def parse(self, value: object) -> object:
        if isinstance(value, str) and value in self.values:
            return value
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class Integer(Check):
    """An integer >= low (and <= high); with `infinity`, also the string "infinity",
    which the model holds as None."""
    low: int = 0
    high: int | None = None
    infinity: bool = False

    def __post_init__(self) -> None:
        if self.high is not None:
            text = f"an integer between {self.low} and {self.high}"
        else:
            text = {0: "a non-negative integer", 1: "a positive integer"}.get(
                self.low, f"an integer >= {self.low}")
        if self.infinity:
            text += ' or "infinity"'
        object.__setattr__(self, "allowed", text)

    def parse(self, value: object) -> object:
        if self.infinity and value == "infinity":
            return None
        if (isinstance(value, int) and not isinstance(value, bool) and value >= self.low
                and (self.high is None or value <= self.high)):
            return value
        raise Invalid(self.allowed)

    def render(self, value: object) -> object:
        return "infinity" if value is None and self.infinity else value


@dataclass(frozen=True)
class Domain(Check):
    allowed: str = "a valid domain name"

    def parse(self, value: object) -> object:
        if is_domain(value):
            return str(value).lower()
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class Domains(Check):
    allowed: str = "a non-empty array of distinct valid domain names"

    def parse(self, value: object) -> object:
        if (isinstance(value, list) and value and all(is_domain(v) for v in value)
                and len({v.lower() for v in value}) == len(value)):
            return tuple(v.lower() for v in value)
        raise Invalid(self.allowed)

    def render(self, value: object) -> object:
        return list(value)  # type: ignore[call-overload]


HOST_PLACEHOLDER = "@HOST@"


def expand_host(template: str, host: str) -> str:
    return template.replace(HOST_PLACEHOLDER, host)


@dataclass(frozen=True)
class SubdomainTemplate(Check):
    """Like MongooseIM: valid once @HOST@ is replaced (checked with example.com here,
    with every served host by the loader)."""
    allowed: str = 'a valid domain name, where "@HOST@" stands for each served host'

    def parse(self, value: object) -> object:
        if isinstance(value, str) and is_domain(expand_host(value, "example.com")):
            return value.lower().replace(HOST_PLACEHOLDER.lower(), HOST_PLACEHOLDER)
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class HostAddress(Check):
    allowed: str = "an IP address or a host name"

    def parse(self, value: object) -> object:
        if isinstance(value, str) and (is_ip(value) or is_domain(value)):
            return value
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class MongoUri(Check):
    allowed: str = '"embedded" or a mongodb:// or mongodb+srv:// URI'

    def parse(self, value: object) -> object:
        if value == "embedded":
            return value
        if isinstance(value, str):
            for scheme in ("mongodb://", "mongodb+srv://"):
                if value.startswith(scheme) and value[len(scheme):].strip("/"):
                    return value
        raise Invalid(self.allowed)


def _port_ok(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= 65535


@dataclass(frozen=True)
class RayAddress(Check):
    allowed: str = '"local", "auto" or "host:port"'

    def parse(self, value: object) -> object:
        if value in ("local", "auto"):
            return value
        if isinstance(value, str):
            host, sep, port = value.rpartition(":")
            host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
            if sep and _port_ok(port) and (is_ip(host) or is_domain(host)):
                return value
        raise Invalid(self.allowed)


_URL = re.compile(r"https?://(?:[^@/]*@)?(\[[0-9a-fA-F:.]+\]|[^:/\[\]@]+)(?::(\d+))?/?")


@dataclass(frozen=True)
class HttpUrl(Check):
    allowed: str = '"http[s]://host[:port]"'

    def parse(self, value: object) -> object:
        m = _URL.fullmatch(value) if isinstance(value, str) else None
        if m:
            host = m.group(1).strip("[]")
            if (is_ip(host) or is_host_name(host)) and (m.group(2) is None or _port_ok(m.group(2))):
                return value
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class PathText(Check):
    allowed: str = "a non-empty path"

    def parse(self, value: object) -> object:
        if isinstance(value, str) and value.strip() and "\0" not in value:
            return Path(value)
        raise Invalid(self.allowed)

    def render(self, value: object) -> object:
        return str(value)


@dataclass(frozen=True)
class OptionalFile(Check):
    """MongooseIM's css_file: "false" (the default styles) or a path; false -> None."""
    allowed: str = '"false" or a non-empty path'

    def parse(self, value: object) -> object:
        if value == "false":
            return None
        if isinstance(value, str) and value.strip():
            return value
        raise Invalid(self.allowed)

    def render(self, value: object) -> object:
        return "false" if value is None else value


@dataclass(frozen=True)
class Name(Check):
    """A reference to something defined elsewhere (access rule, shaper, pool); the
    loader checks that it exists."""
    allowed: str = "a non-empty string"

    def parse(self, value: object) -> object:
        if isinstance(value, str) and value:
            return value
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class AccessValue(Check):
    allowed: str = '"allow", "deny", another non-empty string or an integer'

    def parse(self, value: object) -> object:
        if (isinstance(value, str) and value) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class Regexp(Check):
    allowed: str = "a regular expression"

    def parse(self, value: object) -> object:
        try:
            return check_regexp(value)
        except ValueError as e:
            raise Invalid(str(e)) from None


@dataclass(frozen=True)
class Glob(Check):
    allowed: str = "a glob pattern (* ? [abc] [!abc])"

    def parse(self, value: object) -> object:
        try:
            return check_glob(value)
        except ValueError as e:
            raise Invalid(str(e)) from None


@dataclass(frozen=True)
class ExactPart(Check):
    """An acl user/server value; compared case-insensitively like MongooseIM's nodeprep."""
    allowed: str = "a string"

    def parse(self, value: object) -> object:
        if isinstance(value, str):
            return value.lower()
        raise Invalid(self.allowed)


@dataclass(frozen=True)
class LocalPart(Check):
    allowed: str = "a non-empty JID local part (no spaces or \"&'/:<>@)"

    def parse(self, value: object) -> object:
        if isinstance(value, str) and value:
            try:
                return JID.parse(f"{value}@example.com").local
            except JidError:
                pass
        raise Invalid(self.allowed)


class _Probe:
    """A value no field accepts; checking it yields the field's "allowed" message."""


@dataclass(frozen=True)
class FieldCheck(Check):
    """A room configuration field (actors.core.fields.RoomField) under default_room."""
    field: RoomField | None = None

    def __post_init__(self) -> None:
        f = self.field
        assert f is not None
        if f.kind is Kind.TEXT_LIST and f.options:
            text = "an array of: " + ", ".join(sorted(v for v, _ in f.options))
        else:
            try:
                f.check(_Probe())
                text = f.kind.value
            except FieldValueError as e:
                text = str(e)
        object.__setattr__(self, "allowed", text)

    def parse(self, value: object) -> object:
        assert self.field is not None
        try:
            return self.field.check(value)
        except FieldValueError as e:
            raise Invalid(str(e)) from None

    def render(self, value: object) -> object:
        return list(value) if isinstance(value, tuple) else value  # type: ignore[arg-type]


def toml_literal(value: object, limit: int = 80) -> str:
    """A value as it would be written in TOML, shortened for messages and docs."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    elif isinstance(value, Path):
        text = toml_literal(str(value), limit)
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(toml_literal(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {toml_literal(v, limit)}" for k, v in value.items()) + "}"
    elif hasattr(value, "isoformat"):
        text = value.isoformat()  # type: ignore[union-attr]
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

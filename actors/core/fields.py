"""Room configuration fields. Each feature module declares the fields it owns;
the TOML schema (default_room), the muc#roomconfig form and the muc#roominfo
form are all derived from these declarations."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    BOOL = "boolean"
    TEXT = "string"
    SECRET = "secret string"
    POS_INT = "positive integer"
    NONNEG_INT = "non-negative integer"
    TEXT_LIST = "array of non-empty strings"
    JID_LIST = "array of JIDs"


class FieldValueError(ValueError):
    """A value that a field does not allow; the message says what is allowed."""


# ASCII digits only (str.isdigit() also takes "²" or "٣", which int() refuses) and at most
# nine of them: no room count or limit needs more, and int() of a long string is slow
MAX_FORM_INT = 999_999_999
_FORM_INT = re.compile(r"[0-9]{1,9}")


def form_int(text: str, low: int) -> int:
    """A submitted integer (surrounding whitespace allowed) between low and MAX_FORM_INT."""
    stripped = text.strip()
    if _FORM_INT.fullmatch(stripped) and int(stripped) >= low:
        return int(stripped)
    raise FieldValueError(f"an integer from {low} to {MAX_FORM_INT}")


_FORM_TYPE = {Kind.BOOL: "boolean", Kind.TEXT: "text-single", Kind.SECRET: "text-private",
              Kind.POS_INT: "text-single", Kind.NONNEG_INT: "text-single",
              Kind.TEXT_LIST: "list-multi", Kind.JID_LIST: "jid-multi"}


@dataclass(frozen=True, slots=True)
class RoomField:
    name: str                      # MongooseIM default_room key; also the stored config key
    kind: Kind
    default: object
    label: str
    form_var: str | None = None    # muc#roomconfig_* var; None = not in the owner form
    info_var: str | None = None    # muc#roominfo_* var shown in disco#info
    in_default_room: bool = True   # accepted under [modules.mod_muc.default_room]
    options: tuple[tuple[str, str], ...] = ()   # (value, label) for list fields
    max_len_option: str | None = None           # service option bounding text length
    form_values: tuple[str, str] | None = None  # booleans shown as a list-single: (true, false)

    @property
    def form_type(self) -> str:
        if self.form_values:
            return "list-single"
        if self.options:
            return "list-multi" if self.kind is Kind.TEXT_LIST else "list-single"
        return _FORM_TYPE[self.kind]

    def check(self, value: object) -> object:
        """Validate a value from TOML or storage; returns it normalised."""
        k = self.kind
        if k is Kind.BOOL:
            if isinstance(value, bool):
                return value
            raise FieldValueError("a boolean (true or false)")
        if k in (Kind.TEXT, Kind.SECRET):
            if isinstance(value, str):
                return value
            raise FieldValueError("a string")
        if k in (Kind.POS_INT, Kind.NONNEG_INT):
            low = 1 if k is Kind.POS_INT else 0
            if isinstance(value, int) and not isinstance(value, bool) and value >= low:
                return value
            raise FieldValueError(f"an integer >= {low}")
        if k in (Kind.TEXT_LIST, Kind.JID_LIST):
            if isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value):
                values = tuple(value)
                allowed = {v for v, _ in self.options}
                if allowed and not set(values) <= allowed:
                    raise FieldValueError("an array of: " + ", ".join(sorted(allowed)))
                return values
            raise FieldValueError(str(k.value))
        raise AssertionError(k)

    def from_form(self, values: tuple[str, ...]) -> object:
        """Convert the values of a submitted form field (XEP-0004 strings)."""
        k = self.kind
        if self.form_values:
            if len(values) == 1 and values[0] in self.form_values:
                return values[0] == self.form_values[0]
            raise FieldValueError("one of: " + ", ".join(self.form_values))
        if k is Kind.BOOL:
            if len(values) == 1 and values[0] in ("1", "true", "0", "false"):
                return values[0] in ("1", "true")
            raise FieldValueError("a boolean (1, 0, true or false)")
        if k in (Kind.TEXT, Kind.SECRET):
            if len(values) > 1:
                raise FieldValueError("a single value")
            return values[0] if values else ""
        if k in (Kind.POS_INT, Kind.NONNEG_INT):
            low = 1 if k is Kind.POS_INT else 0
            if len(values) == 1:
                return form_int(values[0], low)
            raise FieldValueError(f"an integer from {low} to {MAX_FORM_INT}")
        return self.check([v.strip() for v in values if v.strip()])

    def to_form(self, value: object) -> tuple[str, ...]:
        if self.form_values:
            return (self.form_values[0] if value else self.form_values[1],)
        if self.kind is Kind.BOOL:
            return ("1" if value else "0",)
        if self.kind in (Kind.TEXT_LIST, Kind.JID_LIST):
            return tuple(value)  # type: ignore[arg-type]
        return (str(value),)

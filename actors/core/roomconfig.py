"""RoomConfig: a frozen set of values, one per field declared by the features."""
from __future__ import annotations

from typing import Mapping

from .features.registry import FIELDS
from .fields import Kind

SHOWN_SECRET = "********"


class RoomConfig:
    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object] | None = None):
        merged = {name: fld.default for name, fld in FIELDS.items()}
        for name, value in (values or {}).items():
            if name in FIELDS:      # fields of removed features are ignored, not fatal
                merged[name] = FIELDS[name].check(value)
        object.__setattr__(self, "_values", merged)

    def __getattr__(self, name: str):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("RoomConfig is frozen")

    def __eq__(self, other):
        return isinstance(other, RoomConfig) and self._values == other._values

    def __repr__(self):
        return f"RoomConfig({self._values!r})"

    def __reduce__(self):
        return (RoomConfig, (self._values,))

    def replace(self, **changes) -> "RoomConfig":
        return RoomConfig({**self._values, **changes})

    def as_dict(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self._values.items()}

    def shown(self) -> dict[str, object]:
        """as_dict for people to read (admin tools): secret fields, such as the room
        password, masked when set."""
        return {k: SHOWN_SECRET if v and FIELDS[k].kind is Kind.SECRET else v
                for k, v in self.as_dict().items()}

"""The persisted state of one room, as an immutable value that maps 1:1 to a Mongo document.

Nested JSON-able values are frozen deeply (dict -> MappingProxyType, list -> tuple) so a
record handed between actors can never be mutated behind the store's back; to_document()
thaws them back into plain dicts and lists.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

AFFILIATIONS = frozenset({"owner", "admin", "member", "outcast"})

# BSON stores integers as signed 64-bit; refuse larger ones here, with a clear message,
# rather than as an encoder error deep inside a save.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_EMPTY: Mapping[str, object] = MappingProxyType({})


class InvalidRecord(ValueError):
    """A record or stored document does not have the shape RoomRecord requires."""


def _freeze(value: object, where: str) -> object:
    """Validate a JSON-able value and return a deeply immutable copy of it."""
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise InvalidRecord(f"{where}: integer {value} does not fit in 64 bits")
        return value
    if isinstance(value, Mapping):
        return _freeze_mapping(value, where)
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(item, f"{where}[{i}]") for i, item in enumerate(value))
    raise InvalidRecord(f"{where}: {type(value).__name__} is not a JSON-able value")


def _freeze_mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidRecord(f"{where}: expected a mapping, got {type(value).__name__}")
    frozen: dict[str, object] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidRecord(f"{where}: key {key!r} is not a string")
        if "\x00" in key:
            raise InvalidRecord(f"{where}: key {key!r} contains a NUL character")
        frozen[key] = _freeze(item, f"{where}.{key}")
    return MappingProxyType(frozen)


def _thaw(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value


def _check_room_jid(jid: object) -> str:
    if not isinstance(jid, str):
        raise InvalidRecord(f"jid: expected a string, got {type(jid).__name__}")
    local, at, domain = jid.partition("@")
    if not at or not local or not domain or "@" in domain or "/" in jid or jid != jid.strip():
        raise InvalidRecord(f"jid: {jid!r} is not a bare room JID (room@service)")
    return jid


def _check_affiliations(value: object) -> Mapping[str, str]:
    frozen = _freeze_mapping(value, "affiliations")
    for jid, affiliation in frozen.items():
        if not jid or "/" in jid:
            raise InvalidRecord(f"affiliations: {jid!r} is not a bare JID")
        if affiliation not in AFFILIATIONS:
            raise InvalidRecord(
                f"affiliations.{jid}: {affiliation!r} is not one of {sorted(AFFILIATIONS)}"
            )
    return frozen  # type: ignore[return-value]  # values checked to be str above


@dataclass(frozen=True)
class RoomRecord:
    """One room's durable state. `version` increases by exactly 1 with every save."""

    jid: str
    version: int
    config: Mapping[str, object] = field(default_factory=dict)
    affiliations: Mapping[str, str] = field(default_factory=dict)
    subject: str = ""
    subject_author: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_room_jid(self.jid)
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise InvalidRecord(f"version: expected an integer >= 1, got {self.version!r}")
        for name in ("subject", "subject_author"):
            if not isinstance(getattr(self, name), str):
                raise InvalidRecord(f"{name}: expected a string, got {type(getattr(self, name)).__name__}")
        # object.__setattr__ is the sanctioned way to normalise fields of a frozen dataclass.
        object.__setattr__(self, "config", _freeze_mapping(self.config, "config"))
        object.__setattr__(self, "affiliations", _check_affiliations(self.affiliations))
        object.__setattr__(self, "extra", _freeze_mapping(self.extra, "extra"))

    def __hash__(self) -> int:
        # The mapping fields are unhashable; equal records always share jid and version.
        return hash((self.jid, self.version))

    def __reduce__(self) -> tuple[object, ...]:
        # mappingproxy cannot be pickled; rebuild from plain values so records cross
        # process boundaries (Ray object store, multiprocessing) intact.
        return (
            type(self),
            (
                self.jid,
                self.version,
                _thaw(self.config),
                _thaw(self.affiliations),
                self.subject,
                self.subject_author,
                _thaw(self.extra),
            ),
        )

    @property
    def muc_host(self) -> str:
        """The MUC service domain, e.g. 'muc.example.org' for 'room@muc.example.org'."""
        return self.jid.partition("@")[2]

    def to_document(self) -> dict[str, object]:
        """Plain-dict form for Mongo; `muc_host` is stored so rooms can be listed per service."""
        return {
            "_id": self.jid,
            "version": self.version,
            "muc_host": self.muc_host,
            "config": _thaw(self.config),
            "affiliations": _thaw(self.affiliations),
            "subject": self.subject,
            "subject_author": self.subject_author,
            "extra": _thaw(self.extra),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, object]) -> RoomRecord:
        """Inverse of to_document(); raises InvalidRecord naming the first bad field."""
        if not isinstance(doc, Mapping):
            raise InvalidRecord(f"document: expected a mapping, got {type(doc).__name__}")
        missing = [key for key in ("_id", "version") if key not in doc]
        if missing:
            raise InvalidRecord(f"document {doc.get('_id')!r}: missing field(s) {missing}")
        record = cls(
            jid=doc["_id"],  # type: ignore[arg-type]  # validated in __post_init__
            version=doc["version"],  # type: ignore[arg-type]
            config=doc.get("config", _EMPTY),  # type: ignore[arg-type]
            affiliations=doc.get("affiliations", _EMPTY),  # type: ignore[arg-type]
            subject=doc.get("subject", ""),  # type: ignore[arg-type]
            subject_author=doc.get("subject_author", ""),  # type: ignore[arg-type]
            extra=doc.get("extra", _EMPTY),  # type: ignore[arg-type]
        )
        stored_host = doc.get("muc_host", record.muc_host)
        if stored_host != record.muc_host:
            raise InvalidRecord(
                f"document {record.jid!r}: muc_host {stored_host!r} does not match the JID"
            )
        return record

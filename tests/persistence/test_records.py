"""RoomRecord: validation, deep immutability and document round-trips (no database needed)."""
from __future__ import annotations

import dataclasses
import pickle

import pytest

from persistence.records import InvalidRecord, RoomRecord


def make(**overrides: object) -> RoomRecord:
    fields: dict[str, object] = {
        "jid": "coven@chat.shakespeare.lit",
        "version": 3,
        "config": {"muc#roomconfig_roomname": "A Dark Cave", "muc#roomconfig_maxusers": 30,
                   "muc#roomconfig_presencebroadcast": ["moderator", "participant"]},
        "affiliations": {"crone1@shakespeare.lit": "owner", "hag66@shakespeare.lit": "outcast"},
        "subject": "Fire Burn and Cauldron Bubble!",
        "subject_author": "secondwitch",
        "extra": {"occupant_id_secret": "c2VjcmV0", "reserved_nicks": {"wiccarocks@shakespeare.lit": "secondwitch"}},
    }
    fields.update(overrides)
    return RoomRecord(**fields)  # type: ignore[arg-type]


def test_document_round_trip_keeps_every_field() -> None:
    record = make()
    doc = record.to_document()
    assert doc == {
        "_id": "coven@chat.shakespeare.lit",
        "version": 3,
        "muc_host": "chat.shakespeare.lit",
        "config": {"muc#roomconfig_roomname": "A Dark Cave", "muc#roomconfig_maxusers": 30,
                   "muc#roomconfig_presencebroadcast": ["moderator", "participant"]},
        "affiliations": {"crone1@shakespeare.lit": "owner", "hag66@shakespeare.lit": "outcast"},
        "subject": "Fire Burn and Cauldron Bubble!",
        "subject_author": "secondwitch",
        "extra": {"occupant_id_secret": "c2VjcmV0", "reserved_nicks": {"wiccarocks@shakespeare.lit": "secondwitch"}},
    }
    assert RoomRecord.from_document(doc) == record


def test_document_is_plain_dicts_and_lists() -> None:
    doc = make().to_document()
    assert type(doc["config"]) is dict
    assert type(doc["config"]["muc#roomconfig_presencebroadcast"]) is list  # type: ignore[index]
    assert type(doc["extra"]["reserved_nicks"]) is dict  # type: ignore[index]


def test_defaults_give_an_empty_room() -> None:
    record = RoomRecord(jid="room@muc.example.org", version=1)
    assert record.muc_host == "muc.example.org"
    assert dict(record.config) == {} and dict(record.affiliations) == {} and dict(record.extra) == {}
    assert RoomRecord.from_document({"_id": "room@muc.example.org", "version": 1}) == record


def test_record_is_deeply_frozen() -> None:
    source_config = {"nested": {"list": [1, 2]}}
    record = make(config=source_config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.version = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.config["new"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        record.config["nested"]["list"] = []  # type: ignore[index]
    assert record.config["nested"]["list"] == (1, 2)  # type: ignore[index]
    # Mutating what the caller passed in does not reach into the record.
    source_config["nested"]["list"].append(3)
    assert record.config["nested"]["list"] == (1, 2)  # type: ignore[index]


def test_records_pickle_and_hash() -> None:
    record = make()
    assert pickle.loads(pickle.dumps(record)) == record
    assert hash(make()) == hash(record)
    assert {record, make()} == {record}
    assert make(subject="other") != record


@pytest.mark.parametrize(
    "jid",
    ["", "room", "@muc.example.org", "room@", "room@muc/res", "a@b@c", " room@muc", 42],
)
def test_rejects_a_jid_that_is_not_a_bare_room_jid(jid: object) -> None:
    with pytest.raises(InvalidRecord, match="jid"):
        make(jid=jid)


@pytest.mark.parametrize("version", [0, -1, True, "2", 1.0, None])
def test_rejects_a_bad_version(version: object) -> None:
    with pytest.raises(InvalidRecord, match="version"):
        make(version=version)


@pytest.mark.parametrize(
    ("affiliations", "message"),
    [
        ({"a@b": "none"}, "'none' is not one of"),
        ({"a@b": "king"}, "'king' is not one of"),
        ({"a@b/res": "member"}, "not a bare JID"),
        ({"": "member"}, "not a bare JID"),
        ({1: "member"}, "not a string"),
        (["a@b", "owner"], "expected a mapping"),
    ],
)
def test_rejects_bad_affiliations(affiliations: object, message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        make(affiliations=affiliations)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"x": {1, 2}}, r"config\.x: set is not a JSON-able value"),
        ({"x": [b"bytes"]}, r"config\.x\[0\]: bytes"),
        ({"x": 2**64}, "does not fit in 64 bits"),
        ({"a\x00b": 1}, "NUL"),
        ("not a mapping", "expected a mapping"),
    ],
)
def test_rejects_values_that_are_not_json_able(config: object, message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        make(config=config)


def test_rejects_a_non_string_subject() -> None:
    with pytest.raises(InvalidRecord, match="subject"):
        make(subject=None)


def test_from_document_names_what_is_wrong() -> None:
    with pytest.raises(InvalidRecord, match=r"missing field\(s\) \['version'\]"):
        RoomRecord.from_document({"_id": "room@muc"})
    doc = make().to_document()
    doc["muc_host"] = "elsewhere"
    with pytest.raises(InvalidRecord, match="muc_host 'elsewhere' does not match"):
        RoomRecord.from_document(doc)
    with pytest.raises(InvalidRecord, match="expected a mapping"):
        RoomRecord.from_document(["_id", "version"])  # type: ignore[arg-type]

"""Room passwords (§7.2.5): compared in constant time; guessing is slowed down per bare
JID and room, with bounded state."""
import hmac

from actors.core import commands as c
from actors.core.features import password as feature
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, presences, to

BOB = "bob@localhost/b"
SECRET = "cauldrönburn"


def room() -> Driver:
    return Driver(seed=RoomSeed(config={"password_protected": True, "password": SECRET}))


def text_of(out, jid) -> str:
    return to(out, jid)[0].error.text


def test_the_password_is_compared_in_constant_time(monkeypatch):
    calls, compare = [], hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return compare(a, b)
    monkeypatch.setattr(feature.hmac, "compare_digest", spy)
    d = room()
    assert errors(d.join(BOB, "Bob", password="wrong"), BOB) == ["not-authorized"]
    assert errors(d.join(BOB, "Bob", password=SECRET), BOB) == []     # non-ASCII too
    assert calls == [(b"wrong", SECRET.encode()), (SECRET.encode(), SECRET.encode())]


def test_after_five_wrong_passwords_a_minute_the_jid_must_wait_even_with_the_right_one():
    d = room()
    for i in range(feature.WRONG_LIMIT):
        assert errors(d.join(f"bob@localhost/r{i}", "Bob", password=f"guess{i}"),
                      f"bob@localhost/r{i}") == ["not-authorized"]
    out = d.join(BOB, "Bob", password=SECRET)
    assert errors(out, BOB) == ["resource-constraint"] and not presences(out, BOB)
    assert text_of(out, BOB).startswith("Too many wrong passwords; try again in ")
    assert errors(d.join("carol@localhost/c", "Carol", password=SECRET), "carol@localhost/c") == []
    d.now += feature.WRONG_WINDOW        # the first wrong guess has left the window
    assert errors(d.join(BOB, "Bob", password=SECRET), BOB) == []


def test_a_missing_password_is_a_first_try_not_a_guess():
    d = room()
    for _ in range(feature.WRONG_LIMIT * 2):
        assert errors(d.join(BOB, "Bob"), BOB) == ["not-authorized"]
    assert errors(d.join(BOB, "Bob", password=SECRET), BOB) == []


def test_the_right_password_clears_the_count():
    d = room()
    for _ in range(feature.WRONG_LIMIT - 1):
        d.join(BOB, "Bob", password="typo")
    d.join(BOB, "Bob", password=SECRET)
    d.send(c.Presence(BOB, "Bob", False))
    for _ in range(feature.WRONG_LIMIT - 1):
        assert errors(d.join(BOB, "Bob", password="typo"), BOB) == ["not-authorized"]


def test_wrong_password_counts_stay_bounded_with_many_jids():
    d = room()
    for i in range(feature._WRONG.max_keys + 500):
        d.join(f"u{i}@localhost/x", "U", password="nope")
    assert len(d.room.__dict__[feature._ATTR]) <= feature._WRONG.max_keys

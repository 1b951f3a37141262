"""Every bad value of every muc#roomconfig field is refused with a precise error
(bad-request when malformed, not-acceptable when the service's policy refuses it),
never an exception, and leaves the room as it was."""
import pytest

from actors.core.effects import ErrorOut, IqResult
from actors.core.features.registry import FIELDS
from actors.core.fields import Kind
from tests.core.driver import Driver, to
from tests.core.test_owner import OWNER, submit

NASTY = [
    ("²",), ("³",), ("٣",), ("５",), ("--5",), ("-5",), ("+5",), ("- 5",), ("5-",),
    (" 5 ",), ("5\n",), ("\t",), ("1e3",), ("0x10",), ("1_000",), ("1,000",), ("nan",),
    ("inf",), ("-0",), ("9" * 5000,), ("1" * 20,), ("4" * 11,), ("",), (), ("\x00",),
    ("\u202e",), ("true ",), ("TRUE",), ("yes",), ("1", "0"), ("5", "5"), ("",) * 50,
    ("a" * 70_000,), ("not a jid@@",), ("@",), ("x@y/",), ("moderator", "nobody"),
]
FORM_VARS = sorted({f.form_var for f in FIELDS.values() if f.form_var}
                   | {"muc#roomconfig_roomowners", "muc#roomconfig_roomadmins"})
ALLOWED = {"bad-request", "not-acceptable", "jid-malformed", "conflict"}


def _outcome(out) -> str:
    stanzas = to(out, OWNER)
    [reply] = [s for s in stanzas if isinstance(s, (IqResult, ErrorOut))]
    return reply.error.condition if isinstance(reply, ErrorOut) else "result"


@pytest.mark.parametrize("var", FORM_VARS)
def test_nasty_values_are_refused_precisely_or_accepted_never_a_crash(var):
    for values in NASTY:
        d = Driver()
        before = d.room.config
        outcome = _outcome(submit(d, (var, values)))
        assert outcome == "result" or outcome in ALLOWED, (var, values[:2], outcome)
        if outcome != "result":
            assert d.room.config == before, (var, values[:2])


INT_VARS = [f.form_var for f in FIELDS.values()
            if f.form_var and f.kind in (Kind.POS_INT, Kind.NONNEG_INT)] + ["muc#maxhistoryfetch"]


@pytest.mark.parametrize("var", INT_VARS)
@pytest.mark.parametrize("value", ["²", "--5", "٣", "５", "9" * 5000, "1" * 20])
def test_integer_fields_refuse_non_ascii_digits_signs_and_huge_numbers(var, value):
    d = Driver()
    before = d.room.config
    assert _outcome(submit(d, (var, (value,)))) in ("bad-request", "not-acceptable")
    assert d.room.config == before


def test_maxusers_in_range_is_still_accepted_and_capped_to_the_service():
    d = Driver()
    assert _outcome(submit(d, ("muc#roomconfig_maxusers", (" 30 ",)))) == "result"
    assert d.room.config.max_users == 30
    assert _outcome(submit(d, ("muc#roomconfig_maxusers", ("100000",)))) == "result"
    assert d.room.config.max_users == d.room.policy.max_users

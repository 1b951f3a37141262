"""The copy a host puts back when a change cannot be stored (actors/core/checkpoint.py)."""
from actors.core import commands as c
from actors.core.checkpoint import checkpoint, may_change_stored_state
from actors.core.roles import Affiliation
from tests.core.admin_helpers import BOB, OWNER, I, aset
from tests.core.driver import Driver


def test_only_commands_that_can_persist_pay_for_a_copy():
    d = Driver()
    d.join(BOB, "Bob")
    chat = c.Message(sender=BOB, nick="", type="groupchat", body="hi")
    assert not may_change_stored_state(chat) and checkpoint(d.room, chat) is None
    subject = c.Message(sender=BOB, nick="", type="groupchat", subject="Topic")
    assert may_change_stored_state(subject)
    assert may_change_stored_state(c.AdminSet(sender=OWNER, id="a"))
    assert may_change_stored_state(c.OwnerSet(sender=OWNER, id="o"))
    assert checkpoint(None, subject) is None          # nothing to copy: a room to be opened


def test_the_copy_is_the_room_before_the_change_and_shares_only_the_policy():
    d = Driver()
    d.join(BOB, "Bob")
    cmd = c.AdminSet(sender=OWNER, id="ban")
    before = checkpoint(d.room, cmd)
    aset(d, OWNER, I(affiliation="outcast", jid="bob@localhost", reason="Treason"))
    assert d.room.affiliations["bob@localhost"] is Affiliation.OUTCAST and "Bob" not in \
        [o.nick for o in d.room.occupants.values()]
    assert "bob@localhost" not in before.affiliations                      # untouched by the ban
    assert "Bob" in [o.nick for o in before.occupants.values()]
    assert before.policy is d.room.policy and before.config == d.room.config

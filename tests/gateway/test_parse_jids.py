"""JIDs are normalised at the edge (RFC 7622: UsernameCaseMapped local part, case- and
width-mapped domain) so the core only sees canonical forms; what does not normalise is
jid-malformed (issue 15, item 9)."""
from __future__ import annotations

import pytest

from actors.core import commands as c
from actors.core.jid import JID, JidError
from gateway.parse import parse_stanza
from tests.gateway.parse_tables import ADMIN, ROOM, USER, command, iq, stanza

MUC_X = "<x xmlns='http://jabber.org/protocol/muc'/>"


@pytest.mark.parametrize("room", ["ｃｏｖｅｎ@chat.shakespeare.lit", "Coven@CHAT.shakespeare.lit",
                                  "coven@ｃｈａｔ．ｓｈａｋｅｓｐｅａｒｅ．ｌｉｔ",
                                  "coven@chat.shakespeare.lit."])
def test_spellings_of_one_room_are_one_room(room):
    parsed = parse_stanza(stanza(f"<presence from='{USER}' to='{room}/Nick'>{MUC_X}</presence>"))
    assert parsed.room == ROOM
    assert parsed.command == c.Presence(USER, "Nick", True, muc=True)


def test_the_sender_is_normalised_and_its_resource_kept_as_sent():
    cmd = command(f"<presence from='ＨＡＧ66@Shakespeare.LIT/Pda Ｘ' to='{ROOM}/n'>{MUC_X}"
                  "</presence>")
    assert cmd.sender == "hag66@shakespeare.lit/Pda Ｘ"


def test_the_nick_is_handed_to_the_core_as_sent():
    # The core compares nicks by RFC 8266 and shows them as chosen (actors/core/nick.py)
    cmd = command(f"<presence from='{USER}' to='{ROOM}/ＯWNER '>{MUC_X}</presence>")
    assert cmd.nick == "ＯWNER "


@pytest.mark.parametrize("jid", ["ＨＡＧ66@shakespeare.lit", "Hag66@Shakespeare.Lit",
                                 "ｈag66@shakespeare.lit/x"])
def test_a_ban_of_a_non_canonical_spelling_names_the_canonical_jid(jid):
    cmd = command(iq(f"<query xmlns='{ADMIN}'><item affiliation='outcast' jid='{jid}'/></query>",
                     "set"))
    [item] = cmd.items
    assert item.jid.split("/")[0] == "hag66@shakespeare.lit"


@pytest.mark.parametrize("raw", ["\u202ehag66@shakespeare.lit/pda", "hag\u200b66@shakespeare.lit",
                                 "hag66@shake\u200dspeare.lit", "hag\u00a0x@shakespeare.lit"])
def test_a_sender_that_does_not_normalise_is_jid_malformed(raw):
    parsed = parse_stanza(stanza(f"<presence from='{raw}' to='{ROOM}/n'>{MUC_X}</presence>"))
    assert parsed.command is None
    assert parsed.error.error.condition == "jid-malformed"


@pytest.mark.parametrize("raw", ["\u202ecoven@chat.shakespeare.lit", "co\u200bven@chat.shakespeare.lit"])
def test_a_room_that_does_not_normalise_is_jid_malformed(raw):
    parsed = parse_stanza(stanza(f"<message from='{USER}' to='{raw}'><body>x</body></message>"))
    assert parsed.command is None and parsed.room is None
    assert parsed.error.error.condition == "jid-malformed"
    assert parsed.error.from_ == "chat.shakespeare.lit"


@pytest.mark.parametrize("text,bare", [
    ("juliet@example.com", "juliet@example.com"),
    ("Juliet@Example.COM", "juliet@example.com"),
    ("ирина@пример.рф", "ирина@пример.рф"),
    ("ИРИНА@ПРИМЕР.РФ", "ирина@пример.рф"),
    ("李雷@example.com", "李雷@example.com"),
    ("o.neil-co_1+x@example.com", "o.neil-co_1+x@example.com"),
    ("conference.localhost", "conference.localhost"),
    ("[::1]", "[::1]"),
])
def test_jids_valid_before_stay_valid(text, bare):
    assert JID.parse(text).bare == bare


@pytest.mark.parametrize("text", ["a b@example.com", "a@b c", "\u202ea@example.com",
                                  "a@exa\u200bmple.com", "@example.com", "a@", "a@example.com/"])
def test_what_does_not_normalise_is_refused(text):
    with pytest.raises(JidError):
        JID.parse(text)


def test_the_ascii_shortcut_gives_what_the_profile_gives():
    from precis_i18n import get_profile
    from actors.core.jid import _prep
    profile = get_profile("UsernameCaseMapped")
    printable = "".join(chr(i) for i in range(0x21, 0x7F))
    for sample in (printable, "Juliet", "ABC-def_1.2", *printable):
        assert _prep(sample) == profile.enforce(sample), sample

"""[component] max_stanza_size: no rendered stanza is ever larger (an XMPP server cuts
the component stream that sends one over its own limit); what a room would relay is
refused before it reaches the room when its relay could be; the service's room list is
paged to fit."""
from __future__ import annotations

import logging

from actors.core import commands as c
from actors.core.effects import (
    AdminListResult, Deliver, DiscoItemsResult, ErrorOut, IqResult, Item, MessageOut, PresenceOut,
)
from actors.core.errors import XmppError
from gateway.paging import page_of
from gateway.parse import PageRequest
from gateway.render import disco_item, render
from gateway.renderer import Renderer
from gateway.stanza_size import ENVELOPE, oversized, shrunk
from tests.gateway.test_render_stream import ROOM, stanzas

LIMIT = 64 * 1024
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_RSM = "http://jabber.org/protocol/rsm"


def size(text: str) -> int:
    return len(text.encode())


def body_of(n_bytes: int) -> str:
    """A payload of exactly n_bytes UTF-8 bytes, mostly 3-byte characters."""
    head = "<body>"
    chars = (n_bytes - len(head) - len("</body>")) // 3
    text = "€" * chars + "x" * (n_bytes - len(head) - len("</body>") - 3 * chars)
    return f"{head}{text}</body>"


def test_a_stanza_over_the_limit_by_one_byte_is_dropped_with_one_warning(caplog):
    renderer = Renderer(LIMIT)
    to = tuple(f"user{i:02d}@x/r" for i in range(50))
    envelope = size(render(MessageOut("Crone", id="m1", payload="<b/>"), to[0], ROOM)) - 4
    exact = MessageOut("Crone", id="m1", payload=body_of(LIMIT - envelope))
    [first, *_] = renderer.deliver(Deliver(to, exact), ROOM)
    assert size(first) == LIMIT                        # exactly at the limit: sent
    over = MessageOut("Crone", id="m1", payload=body_of(LIMIT - envelope + 1))
    with caplog.at_level(logging.WARNING, "raymuc.gateway"):
        assert renderer.deliver(Deliver(to, over), ROOM) == []
    warnings = [r.getMessage() for r in caplog.records if "stanza_too_large" in r.getMessage()]
    assert len(warnings) == 1 and f"bytes={LIMIT + 1}" in warnings[0] and "recipients=50" in warnings[0]
    assert renderer.dropped == 1


def test_the_longest_recipient_decides_and_escaping_counts():
    renderer = Renderer(LIMIT)
    short, odd = "a@x/r", "a@x/" + "'" * 100             # each ' is written as &apos;
    probe = render(MessageOut("Crone", payload=""), short, ROOM)
    msg = MessageOut("Crone", payload=body_of(LIMIT - size(probe) - 100))
    assert len(renderer.deliver(Deliver((short,), msg), ROOM)) == 1
    assert renderer.deliver(Deliver((short, odd), msg), ROOM) == []


def test_an_oversized_result_becomes_an_error_to_the_requester():
    items = tuple((f"r{i}@{ROOM.split('@')[1]}", "t" * 1000, None) for i in range(100))
    result = IqResult("q1", None, DiscoItemsResult(items))
    [error] = stanzas(Renderer(LIMIT).stream((Deliver(("hag@x/pda",), result),), ROOM))
    assert error.get("type") == "error" and error.get("id") == "q1" and error.get("to") == "hag@x/pda"
    assert error.find(f"{{*}}error/{{{NS_STANZAS}}}resource-constraint") is not None


def test_an_oversized_error_loses_its_echoed_payload():
    err = ErrorOut("message", "m1", XmppError.of("forbidden", "No"), None, body_of(LIMIT))
    [error] = stanzas(Renderer(LIMIT).stream((Deliver(("hag@x/pda",), err),), ROOM))
    assert error.find("{*}body") is None and error.find(f"{{*}}error/{{{NS_STANZAS}}}forbidden") is not None


def test_without_a_limit_nothing_is_dropped():
    msg = MessageOut("Crone", payload=body_of(2 * LIMIT))
    assert len(Renderer().deliver(Deliver(("a@x/r",), msg), ROOM)) == 1


def test_what_a_room_would_relay_is_measured_in_bytes_against_the_limit_less_the_envelope():
    budget = LIMIT - ENVELOPE
    fits = c.Message("a@x/r", "", "groupchat", payload=body_of(budget))
    assert not oversized(fits, LIMIT)
    assert oversized(c.Message("a@x/r", "", "groupchat", payload=body_of(budget + 1)), LIMIT)
    status = c.Presence("a@x/r", "Nick", True, status="<" * (budget // 4 + 1))   # &lt; = 4 bytes
    assert oversized(status, LIMIT)
    kick = c.AdminSet("a@x/r", "k1", (c.AdminItem(nick="Hag", role="none", reason="r" * budget),))
    assert oversized(kick, LIMIT)                      # the reason goes to every occupant


def test_an_oversized_leave_still_leaves_without_its_extras():
    leave = c.Presence("a@x/r", "Nick", False, status="s" * LIMIT, payload=body_of(LIMIT))
    assert oversized(leave, LIMIT)
    assert shrunk(leave, LIMIT) == c.Presence("a@x/r", "Nick", False)
    assert shrunk(c.Message("a@x/r", "", "groupchat", payload=body_of(LIMIT)), LIMIT) is None


def test_an_oversized_answer_to_a_forwarded_iq_reaches_the_asker_as_an_error():
    vcard = c.IqResponseFromOccupant("a@x/r", "f1", "result", f"<vCard>{'p' * LIMIT}</vCard>")
    assert oversized(vcard, LIMIT)
    instead = shrunk(vcard, LIMIT)
    assert instead.type == "error" and instead.id == "f1" and not oversized(instead, LIMIT)
    assert "not-acceptable" in instead.payload and "too large" in instead.payload


def test_the_envelope_covers_the_worst_addresses_a_room_can_add():
    nick = "'" * 1023                                   # a resourcepart, 6 bytes escaped each
    worst = "u" * 1023 + "@" + "d" * 1023 + "/" + "'" * 1023
    room = "r" * 1023 + "@" + "c" * 1023
    message = MessageOut(nick, "groupchat", "i" * 1023, "", stanza_id="s" * 64,
                         occupant_id="o" * 64, delay=1.7e9, codes=(100, 170, 210))
    kick = PresenceOut(nick, True, Item("none", "none", worst, nick, nick, worst),
                       (110, 170, 210, 307, 321, 333), "", None, "o" * 64, None, "i" * 1023)
    for stanza in (message, kick):
        assert size(render(stanza, worst, room)) < ENVELOPE


def test_the_room_list_is_paged_so_no_answer_exceeds_the_limit():
    domain = "conference.x"
    items = [(f"room{i:04d}@{domain}", f"A long title {'é' * 1000} {i}", None) for i in range(1000)]
    assert sum(size(disco_item(i)) for i in items) > 10 * LIMIT
    budget = LIMIT - 2000

    def item_size(item):
        return size(disco_item(item))

    seen, after = [], None
    while True:
        page, where = page_of(items, None if after is None and not seen else PageRequest(after=after),
                              1000, budget, item_size)
        assert where is not None and where.count == 1000
        answer = render(IqResult("q", None, DiscoItemsResult(page, page=where)), "hag@x/pda", domain)
        assert size(answer) <= LIMIT and page
        seen.extend(page)
        if where.last == items[-1][0]:
            break
        after = where.last
    assert seen == items
    last, where = page_of(items, PageRequest(before=""), 1000, budget, item_size)
    assert last[-1] == items[-1] and sum(map(item_size, last)) <= budget and where.first_index > 900


def test_items_relayed_one_per_stanza_count_one_at_a_time():
    budget = LIMIT - ENVELOPE
    members = tuple(c.AdminItem("member", None, f"{'m' * 900}{i}@x", None, "") for i in range(100))
    assert not oversized(c.AdminSet("a@x/r", "s1", members), LIMIT)    # 90 KB, one presence each
    invite = c.Invite("a@x/r", (("b@x", "r" * budget), ("c@x", "")))
    assert oversized(invite, LIMIT)


ADMIN_ITEMS = tuple(Item("member", "", f"{'m' * 700}{i:04d}@x", None) for i in range(300))


def admin_answer(renderer, request=None):
    """The answer, checked to be one stanza within the limit as written."""
    result = IqResult("a1", None, AdminListResult(ADMIN_ITEMS, request))
    written = renderer.stream((Deliver(("owner@x/pc",), result),), ROOM)
    [answer] = stanzas(written)
    assert size(written) <= LIMIT
    return answer


def test_an_admin_list_is_paged_so_no_answer_exceeds_the_limit():
    renderer, seen, request = Renderer(LIMIT), [], None
    while True:
        answer = admin_answer(renderer, request)
        assert answer.get("type") == "result"
        query = answer.find(f"{{{NS_ADMIN}}}query")
        page = [i.get("jid") for i in query.findall(f"{{{NS_ADMIN}}}item")]
        rsm = query.find(f"{{{NS_RSM}}}set")
        assert page and int(rsm.findtext(f"{{{NS_RSM}}}count")) == len(ADMIN_ITEMS)
        assert rsm.find(f"{{{NS_RSM}}}first").get("index") == str(len(seen))
        seen += page
        if len(seen) == len(ADMIN_ITEMS):
            break
        request = PageRequest(after=rsm.findtext(f"{{{NS_RSM}}}last"))
    assert seen == [i.jid for i in ADMIN_ITEMS] and renderer.dropped == 0


def test_an_admin_list_that_fits_is_whole_unless_a_page_is_asked_for():
    small = Renderer(LIMIT)
    result = IqResult("a1", None, AdminListResult(ADMIN_ITEMS[:3]))
    [answer] = stanzas(small.stream((Deliver(("owner@x/pc",), result),), ROOM))
    assert len(answer.findall(f"{{{NS_ADMIN}}}query/{{{NS_ADMIN}}}item")) == 3
    assert answer.find(f"{{{NS_ADMIN}}}query/{{{NS_RSM}}}set") is None
    asked = admin_answer(small, PageRequest(max=2))
    assert len(asked.findall(f"{{{NS_ADMIN}}}query/{{{NS_ADMIN}}}item")) == 2
    unknown = admin_answer(small, PageRequest(after="nobody@x"))
    assert unknown.get("type") == "error" and unknown.find(f".//{{{NS_STANZAS}}}item-not-found") is not None


def test_an_admin_get_carries_its_page_request():
    from gateway.parse import parse_stanza
    from tests.gateway.test_parse import stanza
    cmd = parse_stanza(stanza(
        f"<iq from='crone@shakespeare.lit/desktop' to='{ROOM}' type='get' id='a1'>"
        f"<query xmlns='{NS_ADMIN}'><item affiliation='member'/>"
        f"<set xmlns='{NS_RSM}'><max>10</max><after>m@x</after></set></query></iq>")).command
    assert isinstance(cmd, c.AdminGet) and cmd.page == PageRequest(max=10, after="m@x")

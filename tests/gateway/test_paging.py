"""XEP-0059 paging of the service's room list: parsing <set/>, choosing the page,
rendering the answer's <set/>."""
from __future__ import annotations

import pytest

from actors.core.effects import DiscoItemsResult, IqResult, ResultSetPage
from gateway.paging import UnknownItem, page_of
from gateway.parse import PageRequest, ServiceDiscoItems, parse_stanza
from gateway.render import render
from tests.gateway.test_parse import stanza

SERVICE = "chat.shakespeare.lit"
ITEMS = [(f"r{i}@{SERVICE}", f"Room {i}", None) for i in range(10)]


def items_request(rsm: str):
    return parse_stanza(stanza(
        f"<iq from='hag66@shakespeare.lit/pda' to='{SERVICE}' type='get' id='p1'>"
        f"<query xmlns='http://jabber.org/protocol/disco#items'>{rsm}</query></iq>"))


def test_set_is_parsed():
    cmd = items_request("<set xmlns='http://jabber.org/protocol/rsm'><max>10</max>"
                        f"<after>r3@{SERVICE}</after></set>").command
    assert isinstance(cmd, ServiceDiscoItems)
    assert cmd.page == PageRequest(max=10, after=f"r3@{SERVICE}")
    assert items_request("").command.page is None
    last = items_request("<set xmlns='http://jabber.org/protocol/rsm'><before/></set>").command
    assert last.page == PageRequest(before="")


@pytest.mark.parametrize("rsm", [
    "<max>-1</max>", "<max>ten</max>", "<index>x</index>", "<after/>",
    f"<after>r1@{SERVICE}</after><before>r5@{SERVICE}</before>",
])
def test_malformed_set_is_bad_request(rsm):
    parsed = items_request(f"<set xmlns='http://jabber.org/protocol/rsm'>{rsm}</set>")
    assert parsed.error is not None and parsed.error.error.condition == "bad-request"
    assert parsed.error.kind == "iq"


@pytest.mark.parametrize("req, ids, first_index", [
    (PageRequest(max=3), [0, 1, 2], 0),
    (PageRequest(max=3, after=f"r2@{SERVICE}"), [3, 4, 5], 3),
    (PageRequest(max=3, after=f"r8@{SERVICE}"), [9], 9),
    (PageRequest(max=3, before=f"r5@{SERVICE}"), [2, 3, 4], 2),
    (PageRequest(max=3, before=""), [7, 8, 9], 7),
    (PageRequest(max=4, index=8), [8, 9], 8),
    (PageRequest(after=f"r6@{SERVICE}"), [7, 8, 9], 7),
])
def test_pages(req, ids, first_index):
    page, where = page_of(ITEMS, req, 1000)
    assert [ITEMS.index(i) for i in page] == ids
    assert where == ResultSetPage(10, page[0][0], first_index, page[-1][0])


def test_count_only_empty_page_and_unknown_item():
    assert page_of(ITEMS, PageRequest(max=0), 1000) == ((), ResultSetPage(10))
    assert page_of(ITEMS, PageRequest(after=f"r9@{SERVICE}"), 1000) == ((), ResultSetPage(10))
    with pytest.raises(UnknownItem):
        page_of(ITEMS, PageRequest(after="nope@x"), 1000)


def test_no_request_whole_list_or_first_page_with_set():
    assert page_of(ITEMS, None, 1000) == (tuple(ITEMS), None)
    page, where = page_of(ITEMS, None, 4)
    assert len(page) == 4 and where == ResultSetPage(10, ITEMS[0][0], 0, ITEMS[3][0])
    page, _ = page_of(ITEMS, PageRequest(max=50), 4)
    assert len(page) == 4                                 # the service's limit wins


def test_set_is_rendered():
    xml = render(IqResult("p1", None, DiscoItemsResult(
        tuple(ITEMS[:2]), page=ResultSetPage(10, ITEMS[0][0], 0, ITEMS[1][0]))), "u@x/r", SERVICE)
    assert (f"<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>r0@{SERVICE}</first>"
            f"<last>r1@{SERVICE}</last><count>10</count></set>") in xml
    empty = render(IqResult("p1", None, DiscoItemsResult((), page=ResultSetPage(10))),
                   "u@x/r", SERVICE)
    assert "<set xmlns='http://jabber.org/protocol/rsm'><count>10</count></set>" in empty

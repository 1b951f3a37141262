"""Small XML helpers for the stanza layer: namespace names, escaping, and
serialising ElementTree elements the way XMPP peers expect them (default-namespace
declarations, never ElementTree's generated `ns0:` prefixes).

Outgoing stanzas are written without an xmlns on the top element: on an XEP-0114
stream slixmpp's send_raw() writes the bytes as they are, and unprefixed elements
inherit the stream's default namespace, jabber:component:accept."""
from __future__ import annotations

import re
from xml.etree.ElementTree import Element

STANZA_NS = "jabber:component:accept"
CLIENT_NS = "jabber:client"
# Clients' jabber:client content may reach a component with either namespace.
STANZA_NAMESPACES = frozenset({STANZA_NS, CLIENT_NS})
XML_NS = "http://www.w3.org/XML/1998/namespace"

NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = NS_MUC + "#user"
NS_MUC_ADMIN = NS_MUC + "#admin"
NS_MUC_OWNER = NS_MUC + "#owner"
NS_MUC_REQUEST = NS_MUC + "#request"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_REGISTER = "jabber:iq:register"
NS_PING = "urn:xmpp:ping"
NS_VCARD = "vcard-temp"
NS_DATA = "jabber:x:data"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_SID = "urn:xmpp:sid:0"
NS_OCCUPANT_ID = "urn:xmpp:occupant-id:0"
NS_DELAY = "urn:xmpp:delay"
NS_LEGACY_DELAY = "jabber:x:delay"                   # XEP-0091
NS_ADDRESS = "http://jabber.org/protocol/address"   # XEP-0033
NS_RSM = "http://jabber.org/protocol/rsm"

# Characters XML 1.0 cannot carry are replaced by U+FFFD rather than crashing the
# stream later; \t \n \r are written as references where a parser would normalise them.
_BAD = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_TEXT_RE = re.compile(f"[&<>\r{_BAD}]")
ATTR_SPECIAL = re.compile(f"[&<>'\"\t\n\r{_BAD}]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;",
             "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


def _entity(match: re.Match) -> str:
    return _ENTITIES.get(match.group(), "\ufffd")


def escape_text(value: str) -> str:
    """Character data for element content."""
    if _TEXT_RE.search(value) is None:      # the common case: no copy
        return value
    return _TEXT_RE.sub(_entity, value)


def escape_attr(value: str) -> str:
    """An attribute value for single-quoted attributes (all we write)."""
    if ATTR_SPECIAL.search(value) is None:
        return value
    return ATTR_SPECIAL.sub(_entity, value)


def split_tag(tag: str) -> tuple[str, str]:
    """'{ns}name' -> ('ns', 'name'); an unqualified tag has namespace ''."""
    if tag[:1] == "{":
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _same_ns(a: str, b: str) -> bool:
    return a == b or (a in STANZA_NAMESPACES and b in STANZA_NAMESPACES)


def serialise(elem: Element, inherited_ns: str = STANZA_NS) -> str:
    """Serialise `elem` (without its tail) for embedding where `inherited_ns` is the
    default namespace in scope. Stanza-namespace elements (show, body, ...) get no
    xmlns, so they take the namespace of whatever stanza they are written into.

    Iterative, not recursive: however deep the tree, it never hits the recursion limit
    (the parser refuses deep stanzas, but nothing here relies on it)."""
    out: list[str] = []
    # each item: an element to open with the default namespace in scope, or text to write
    stack: list[tuple[Element, str] | str] = [(elem, inherited_ns)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, default_ns = item
        if not isinstance(node.tag, str):       # comments and processing instructions
            continue
        default_ns, name = _open_tag(node, default_ns, out)
        if not node.text and len(node) == 0:
            out.append("/>")
            continue
        out.append(">")
        if node.text:
            out.append(escape_text(node.text))
        stack.append(f"</{name}>")
        for child in reversed(node):
            if child.tail:
                stack.append(escape_text(child.tail))
            stack.append((child, default_ns))
    return "".join(out)


def _open_tag(elem: Element, default_ns: str, out: list[str]) -> tuple[str, str]:
    """Write '<name' and the attributes; returns the default namespace for the children
    and the name."""
    ns, name = split_tag(elem.tag)
    out.append("<" + name)
    if not _same_ns(ns, default_ns):
        out.append(f" xmlns='{escape_attr(ns)}'")
        default_ns = ns
    prefixes = 0
    for key, value in elem.attrib.items():
        if key[:1] == "{":
            attr_ns, attr_name = split_tag(key)
            if attr_ns == XML_NS:
                key = "xml:" + attr_name
            else:
                # Prefixes are declared on the element that uses them, so they never clash.
                prefixes += 1
                out.append(f" xmlns:a{prefixes}='{escape_attr(attr_ns)}'")
                key = f"a{prefixes}:{attr_name}"
        out.append(f" {key}='{escape_attr(value)}'")
    return default_ns, name

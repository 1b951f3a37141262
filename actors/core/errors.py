"""XMPP stanza errors as values (RFC 6120 §8.3). The gateway renders them."""
from __future__ import annotations

from dataclasses import dataclass

_DEFAULT_TYPE = {
    "bad-request": "modify", "conflict": "cancel", "feature-not-implemented": "cancel",
    "forbidden": "auth", "gone": "cancel", "internal-server-error": "wait",
    "item-not-found": "cancel", "jid-malformed": "modify", "not-acceptable": "modify",
    "not-allowed": "cancel", "not-authorized": "auth", "policy-violation": "modify",
    "recipient-unavailable": "wait", "registration-required": "auth",
    "remote-server-not-found": "cancel", "resource-constraint": "wait",
    "service-unavailable": "cancel", "undefined-condition": "cancel",
    "unexpected-request": "wait",
}


@dataclass(frozen=True, slots=True)
class XmppError:
    condition: str
    type: str
    text: str = ""

    @staticmethod
    def of(condition: str, text: str = "", type: str | None = None) -> "XmppError":
        if condition not in _DEFAULT_TYPE:
            raise ValueError(f"unknown stanza error condition {condition!r}")
        return XmppError(condition, type or _DEFAULT_TYPE[condition], text)


class Refused(Exception):
    """Raised inside the core to refuse a command with a stanza error."""

    def __init__(self, condition: str, text: str = "", type: str | None = None):
        super().__init__(condition)
        self.error = XmppError.of(condition, text, type)

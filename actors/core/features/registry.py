"""The room features, in hook order. Adding a feature is one module plus one line here."""
from __future__ import annotations

from ..feature import Feature
from . import (anonymity, invites, logging, max_users, member_list, members_by_default,
               members_only, moderated, multiple_sessions, naming, password, persistent,
               private_messages, public, public_list, query_users, subject_control,
               visitor_nickchange, visitor_status)
from . import history_length, presence_broadcast, pubsub_node

FEATURES: tuple[Feature, ...] = (
    naming.FEATURE,
    public.FEATURE,
    public_list.FEATURE,
    persistent.FEATURE,
    password.FEATURE,
    members_only.FEATURE,
    max_users.FEATURE,
    members_by_default.FEATURE,
    moderated.FEATURE,
    anonymity.FEATURE,
    subject_control.FEATURE,
    private_messages.FEATURE,
    query_users.FEATURE,
    visitor_status.FEATURE,
    visitor_nickchange.FEATURE,
    invites.FEATURE,
    multiple_sessions.FEATURE,
    member_list.FEATURE,
    logging.FEATURE,
    presence_broadcast.FEATURE,
    history_length.FEATURE,
    pubsub_node.FEATURE,
)

FIELDS = {f.name: f for feat in FEATURES for f in feat.fields}
if len(FIELDS) != sum(len(feat.fields) for feat in FEATURES):
    raise RuntimeError("two features declare the same config field")


def hooks(name: str) -> tuple:
    return tuple(feat.hooks[name] for feat in FEATURES if name in feat.hooks)

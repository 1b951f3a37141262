"""Masking secrets wherever the config is shown: the effective config of check-config
and every ConfigError message. Secret options are masked whole; in URIs the password of
the userinfo (all of a userinfo without one: it may be a token) and every query value
but those of well-known harmless options (replicaSet, authSource, tls, ...)."""
from __future__ import annotations

import re

from . import schema

SECRET_MASK = "********"
URI_OPTIONS = frozenset({"mongo_uri", "host", "path_prefix"})
# Query options shown as they are: MongoDB's and HTTP's that name no credential. Any other
# (password, token, authMechanismProperties=AWS_SESSION_TOKEN:..., ...) is masked.
_HARMLESS_QUERY = frozenset(name.lower() for name in (
    "replicaSet", "authSource", "authMechanism", "tls", "ssl", "tlsCAFile",
    "tlsCertificateKeyFile", "tlsAllowInvalidCertificates", "tlsAllowInvalidHostnames",
    "tlsInsecure", "directConnection", "loadBalanced", "retryWrites", "retryReads", "w",
    "journal", "wtimeoutMS", "readPreference", "readPreferenceTags", "readConcernLevel",
    "maxStalenessSeconds", "appName", "compressors", "zlibCompressionLevel",
    "connectTimeoutMS", "socketTimeoutMS", "serverSelectionTimeoutMS", "heartbeatFrequencyMS",
    "localThresholdMS", "maxPoolSize", "minPoolSize", "maxIdleTimeMS", "waitQueueTimeoutMS",
    "maxConnecting", "srvMaxHosts", "srvServiceName", "uuidRepresentation"))
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_QUERY_ITEM = re.compile(r"([^&;=]*)(=?)([^&;]*)")


def _secret_names() -> frozenset[str]:
    return frozenset(opt.name for sec in (*schema.SECTIONS, schema.ROOT)
                     for opt in sec.options if opt.secret)


SECRET_NAMES = _secret_names()


def mask_uri(text: str) -> str:
    """`text` with the credentials of a URI in it masked (see the module doc)."""
    scheme = _SCHEME.match(text)
    rest, start = (text[scheme.end():], text[:scheme.end()]) if scheme else (text, "")
    before_query, q, query = rest.partition("?")
    query, hashmark, fragment = query.partition("#")
    if scheme:
        # the userinfo ends at the authority's last "@": a password may hold "@" or "/"
        at = before_query.rfind("@")
        if at >= 0:
            user, colon, _ = before_query[:at].partition(":")
            userinfo = f"{user}:{SECRET_MASK}" if colon else SECRET_MASK
            before_query = userinfo + before_query[at:]
    if q:
        query = _QUERY_ITEM.sub(_mask_query_item, query)
    return start + before_query + q + query + hashmark + fragment


def _mask_query_item(m: re.Match) -> str:
    name, eq, value = m.groups()
    if not eq or not value or name.lower() in _HARMLESS_QUERY:
        return m.group(0)
    return f"{name}={SECRET_MASK}"


def masked(key: str | None, value: object) -> object:
    """`value` of the option at dotted `key` as it may be shown in an error message."""
    name = (key or "").rsplit(".", 1)[-1]
    if name in SECRET_NAMES and value is not None:
        return SECRET_MASK
    if name == "mongo_uri" and isinstance(value, str) and not _SCHEME.match(value) \
            and value != "embedded":
        return SECRET_MASK      # not a URI: no telling which part is the password
    return _mask_strings(value)


def _mask_strings(value: object) -> object:
    if isinstance(value, str):
        return mask_uri(value) if ("://" in value or "?" in value) else value
    if isinstance(value, (list, tuple)):
        return [_mask_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: SECRET_MASK if k in SECRET_NAMES else _mask_strings(v)
                for k, v in value.items()}
    return value

"""Which server errors mean "storage unavailable, try again" (persistence/store.py)."""
from pymongo.errors import AutoReconnect, DocumentTooLarge, OperationFailure, \
    WriteConcernError

from persistence.store import transient


def test_failover_and_shutdown_codes_are_transient_a_bad_request_is_not():
    assert transient(OperationFailure("shutting down", code=91))
    assert transient(OperationFailure("not primary", code=10107))
    assert transient(OperationFailure("stepped down", code=189))
    assert transient(WriteConcernError("not replicated", code=64))
    assert transient(AutoReconnect("connection reset"))
    labelled = OperationFailure("retry me", code=12345,
                                details={"errorLabels": ["RetryableWriteError"]})
    assert transient(labelled)
    assert not transient(OperationFailure("bad value", code=2))
    assert not transient(OperationFailure("unknown operator", code=0))
    assert not transient(DocumentTooLarge("too large"))
    assert not transient(ValueError("bug"))

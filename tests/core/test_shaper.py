"""The token bucket behind [shaper.NAME] max_rate (MongooseIM/opuntia semantics)."""
import pytest

from actors.core.shaper import TokenBucket


def test_starts_full_and_lets_max_rate_bytes_through_at_once():
    b = TokenBucket.full(1000, now=0.0)
    b, delay = b.take(1000, 0.0)
    assert delay == 0
    b, delay = b.take(1, 0.0)
    assert delay == pytest.approx(0.001)


def test_refills_at_max_rate_and_never_above_it():
    b, _ = TokenBucket.full(100, 0.0).take(100, 0.0)
    assert b.available(0.5) == pytest.approx(50)
    assert b.available(60.0) == 100
    assert b.is_full(1.0) and not b.is_full(0.99)


def test_overuse_is_debt_the_next_stanza_waits_for_too():
    b, delay = TokenBucket.full(100, 0.0).take(300, 0.0)
    assert delay == pytest.approx(2.0)          # 200 bytes over at 100 bytes/s
    b, delay = b.take(50, 1.0)                  # still 100 in debt after 1 s
    assert delay == pytest.approx(1.5)
    assert b.take(0, 2.5)[1] == 0               # debt repaid by then


def test_a_stanza_over_the_bucket_size_waits_for_its_excess():
    _, delay = TokenBucket.full(1000, 0.0).take(2500, 0.0)
    assert delay == pytest.approx(1.5)


def test_a_clock_going_back_does_not_mint_tokens():
    b, _ = TokenBucket.full(100, 10.0).take(100, 10.0)
    assert b.available(5.0) == 0


@pytest.mark.parametrize("rate", [0, -5])
def test_rate_must_be_positive(rate):
    with pytest.raises(ValueError, match="max_rate"):
        TokenBucket.full(rate, 0.0)

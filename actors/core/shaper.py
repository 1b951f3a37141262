"""A traffic shaper ([shaper.NAME] max_rate = N bytes per second) as a pure token
bucket, with the time passed in (Env.now).

Semantics are MongooseIM's (mongoose_shaper over opuntia): the bucket holds at most
max_rate tokens and starts full; taking N tokens never fails, it answers how long the
caller must wait before the stanza may be processed. Overuse is carried as debt, so
the next stanza waits for the previous one's overuse too (opuntia moves its
last_update into the future by the delay: the same thing)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TokenBucket:
    rate: float          # tokens (bytes) per second; also the bucket's size
    tokens: float        # available at `stamp`; negative = debt
    stamp: float         # seconds (Env.now)

    @classmethod
    def full(cls, rate: float, now: float) -> "TokenBucket":
        if rate <= 0:
            raise ValueError(f"a shaper's max_rate must be positive, not {rate}")
        return cls(float(rate), float(rate), now)

    def available(self, now: float) -> float:
        elapsed = max(0.0, now - self.stamp)
        return min(self.rate, self.tokens + elapsed * self.rate)

    def take(self, size: int, now: float) -> tuple["TokenBucket", float]:
        """Use `size` tokens now: (the bucket after, seconds to wait; 0 = go ahead)."""
        left = self.available(now) - size
        delay = 0.0 if left >= 0 else -left / self.rate
        return TokenBucket(self.rate, left, max(now, self.stamp)), delay

    def is_full(self, now: float) -> bool:
        return self.available(now) >= self.rate

"""What every simulator's outbound webhooks share: the record of a delivery and its attempts, and the
base64 HMAC-SHA256 that the platforms' webhook signatures (and Standard Webhooks) are built on."""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime


def hmac_sha256_base64(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class DeliveryAttempt:
    at: datetime
    status_code: int | None     # None when the request never got an answer
    error: str | None = None


@dataclass
class Delivery:
    """One webhook delivery: sent at least once, kept with its attempts. A platform's delivery adds its
    own fields (ids, topic, address, body) before these."""

    attempts: list[DeliveryAttempt] = field(default_factory=list, kw_only=True)
    abandoned: bool = field(default=False, kw_only=True)  # a webhook_never fault lost it: never sent, never due again

    @property
    def status_code(self) -> int | None:
        return self.attempts[-1].status_code if self.attempts else None

    @property
    def delivered(self) -> bool:
        return any(a.status_code is not None and 200 <= a.status_code < 300 for a in self.attempts)

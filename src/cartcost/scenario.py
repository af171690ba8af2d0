"""Who travels where for what: the input of every estimate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    """A treatment journey to estimate.

    origin None means "not said": travel and visa are then reported as not included.
    currency None means: the origin's currency, else USD.
    """

    country: str
    indication: str
    products: tuple[str, ...] = ()
    origin: str | None = None
    caregivers: int = 1
    currency: str | None = None
    lives_nearby: bool = False
    pathways: tuple[str, ...] = ()

    @property
    def domestic(self) -> bool:
        return self.origin is not None and self.origin == self.country

    @property
    def travellers(self) -> int:
        return 1 + self.caregivers

"""Pure, synchronous matching engine of the local exchange: orders, books, fills, balances and order events.

The package is split by concern: ``choices`` (CHOICES and its constants), ``common`` (ExchangeError, listener types,
decimal helpers), ``model`` (internal records), ``validation`` (request parsing), and MatchingEngine in ``core``
with its mixins ``matching``, ``wire``, ``fees``, ``funds`` and ``queries`` (their shared attributes are declared
once, for the type checker, in ``state._EngineState``).
"""

from console.exchange.engine.choices import CHOICES
from console.exchange.engine.common import EventListener, ExchangeError, MarketListener
from console.exchange.engine.core import MatchingEngine

__all__ = [
    "CHOICES",
    "EventListener",
    "ExchangeError",
    "MarketListener",
    "MatchingEngine",
]

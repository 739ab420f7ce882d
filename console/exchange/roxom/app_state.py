"""The Roxom server's shared state, declared once for the type checker: the base class of RoxomServer's mixins.

RoxomServer is assembled from mixins (``auth``, then ``rest`` and ``streams`` on top of it) whose methods read
attributes that ``RoxomServer.__init__`` sets. ``_ServerState`` declares those attributes (annotations only: no class
attribute, no runtime cost) and, for the type checker only, the one method a mixin calls on the server itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.exchange.roxom.connection import _Connection
from console.exchange.roxom.engine import RoxomEngine
from console.exchange.roxom.faults import RoxomFaults
from console.exchange.roxom.keys import KeyTable
from console.venues.roxom.auth import BodyEncoding, Padding


class _ServerState:
    """What RoxomServer's parts share: attributes set in ``RoxomServer.__init__``, methods across parts."""

    engine: RoxomEngine
    keys: KeyTable
    faults: RoxomFaults
    padding: Padding
    body_encoding: BodyEncoding
    _clock_ns: Callable[[], int]
    _ws_ping_interval_s: float
    _connections: set[_Connection]
    _level1: dict[str, tuple[Any, Any]]
    _depth: dict[str, dict[str, dict[str, str]]]

    if TYPE_CHECKING:
        # Defined by RoxomServer (the cancel worker's queue); declared here so each mixin type-checks alone.

        def _queue_cancel(self, order_id: str) -> None: ...


"""The venue errors the trading layer and the views catch, under venue-neutral names.

For now these are the Gemini adapter's classes; the lead points these at console.domain.errors after merging V
(the venue-neutral error base), so no caller changes then.
"""

from __future__ import annotations

from console.venues.gemini.errors import ApiError, GeminiError, TransportError, network_cause

__all__ = ["VenueApiError", "VenueError", "VenueTransportError", "network_cause"]

#: Root of every error a venue adapter raises.
VenueError = GeminiError
#: The venue answered with an error body: ``.reason`` (its code) and ``.message``.
VenueApiError = ApiError
#: The network failed; the request's outcome is unknown.
VenueTransportError = TransportError

"""Roxom's wire protocol: request signing (``auth``); the REST and WebSocket clients come with the venue interface."""

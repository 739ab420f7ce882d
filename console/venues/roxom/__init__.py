"""Roxom's wire protocol and its adapter to the console's venue interfaces.

``auth`` (request signing), ``models`` (pydantic wire models), ``errors`` (typed errors over the domain's tree),
``rest`` (the REST client), ``ws`` (the WebSocket client), ``convert`` (wire → domain), ``venue`` (``RoxomVenue``:
``console.trading.venue.Venue``), ``account_venue`` (account views and reference quotes), ``market_venue`` (the
ladder's and trades panel's feed). https://docs.roxom.com/reference/
"""

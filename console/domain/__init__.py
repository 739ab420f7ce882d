"""Venue-neutral trading domain: orders and their state machine, blotter, view, book, ticket, guards, reasons.

Imports no other console package (tests/unit/test_import_hygiene.py checks it). See docs/architecture.md.
"""

"""Venue adapters: each turns one venue's wire protocol into the domain's orders, fills and events."""

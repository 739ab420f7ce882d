"""The trading layer between the screen and a venue: session (order entry, cancels, stream, reconcile, status
texts), market session, account service, reference prices, dead-man switch and journal. See docs/architecture.md.
"""

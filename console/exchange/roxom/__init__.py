"""The embedded local Roxom venue: matching core, instruments, RSA keys, REST + WebSocket server, market maker, CLI.

See docs/local-roxom.md for what it implements and the choices made where Roxom's documentation is open.
"""

"""The runtime: command line (cli, args), doctor, serve, the one app factory (wiring, clients), configuration, settings,
credentials, heap policy and paths."""

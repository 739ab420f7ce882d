"""The runtime: command line, doctor, serve, configuration, settings, credentials, heap policy and paths."""

"""The local exchange's HTTP + WebSocket server: app, private and public routes, order events, market data."""

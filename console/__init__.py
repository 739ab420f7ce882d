"""Trading console for Gemini's order API, with an embedded Gemini-compatible local exchange."""

__version__ = "0.1.0"

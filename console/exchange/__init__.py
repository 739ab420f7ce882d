"""The local Gemini-compatible exchange: matching engine, server, faults, simulated liquidity, keys, process."""

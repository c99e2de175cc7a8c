"""Indicators: definitions, the engine computing them in SQL, public snapshots."""

"""Writes, one module per domain of the app: site, accessibility, report.

Each function is atomic, checks a capability, records history and audit.
"""

"""Infrastructure the read and write sides share (the dashboard's roll-up cache).

It imports no model, selector or service: callers hand it what it needs
(a fingerprint, a builder), so both sides may use it without importing each other.
"""

"""Execution: the reference interpreter and the vectorised engine."""

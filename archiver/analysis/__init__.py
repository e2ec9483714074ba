"""Analyses across the versions of a policy (no Qt): paragraph history (``blame``)."""

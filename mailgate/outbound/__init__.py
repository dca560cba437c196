"""Outbound delivery: the outbox worker."""

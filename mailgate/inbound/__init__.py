"""Inbound adapters: SMTP listener, IMAP poller, ingest; all enter through `accept`."""

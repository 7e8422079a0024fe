"""The notification outbox: see issue 5."""

"""Notification delivery: the outbox's messages posted to webhook endpoints, apart from the runtime
(which never makes a network call); see `engine.delivery.webhooks`."""

"""Notifications: at-most-once email deliveries through background tasks."""

"""Signals measures sends to the floors above it."""

from django.dispatch import Signal

# Sent by ``plusone daily`` after the audit anchor is written, with ``today`` (a date) and
# ``anchors`` (the anchor lines just written). The digests (insights, a floor up: they read
# rights and custodian) answer it by queueing their tasks, and return how many they queued.
daily_ran = Signal()

"""Signals perscom-oauth sends, for hosts to forward (webhooks, SIEM). Keyword arguments only."""

from django.dispatch import Signal

# Sent after an AuditEvent row is written. kwargs: event (the saved AuditEvent).
audit_event = Signal()

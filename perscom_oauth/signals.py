"""Signals perscom-oauth sends, for hosts to forward (webhooks, SIEM). Keyword arguments only.

Sent with ``send_robust`` once the transaction commits: an exception in a receiver is logged
(``perscom_oauth.audit``) and never reaches the response, nor the other receivers."""

from django.dispatch import Signal

# Sent once an AuditEvent row is committed. kwargs: event (the saved AuditEvent).
audit_event = Signal()

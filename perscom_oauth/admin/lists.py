"""The admin's list pages may read the read replica (``perscom_oauth.routers``, docs/replicas.md).

A list shown by GET decides nothing: its rows are read where ``ReplicaRouter`` sends stale
reads, if it is installed. Who may see which rows is still decided on the primary
(``administered`` reads there whatever the page allows); the actions a list posts, and the
change, add and delete pages, read the primary. A list that follows a change of the user's own
(the admin's message says what changed) reads the primary too, so it shows that change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from ..routers import stale_reads_allowed


class StaleListAdmin(admin.ModelAdmin):
    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or len(messages.get_messages(request)):
            return super().changelist_view(request, extra_context)
        with stale_reads_allowed(self.model):
            return super().changelist_view(request, extra_context)

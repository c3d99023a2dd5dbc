"""The demo dashboard's own data: a small slice of PERSCOM's resources, per organization."""

from django.conf import settings
from django.db import models


class Rank(models.Model):
    organization = models.ForeignKey(settings.PERSCOM_OAUTH_ORGANIZATION_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    abbreviation = models.CharField(max_length=10, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Award(models.Model):
    organization = models.ForeignKey(settings.PERSCOM_OAUTH_ORGANIZATION_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Dashboard(models.Model):
    """No table: it only carries PERSCOM's non-CRUD permissions (scopes clear:cache, view:settings)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("clear_cache", "Can clear the cache"),
            ("view_settings", "Can view application settings"),
        ]

    def __str__(self) -> str:
        return "dashboard"

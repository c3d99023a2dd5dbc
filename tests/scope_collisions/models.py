"""Models whose permissions would make an ambiguous scope registry if exposed (see test_scopes)."""
# ruff: noqa: DJ008  (never displayed: these models exist only for their permissions)

from django.db import models


class Award(models.Model):
    """Same model_name as project.demo's Award: both exposed, view:award would mean two things."""

    class Meta:
        app_label = "scope_collisions"


class Medal(models.Model):
    """A custom create_medal collides with the default add_medal (both read create:medal)."""

    class Meta:
        app_label = "scope_collisions"
        permissions = [("create_medal", "Can create a medal the other way")]


class Flag(models.Model):
    """A custom permission that is not verb_object."""

    class Meta:
        app_label = "scope_collisions"
        default_permissions = ()
        permissions = [("hoist", "Can hoist")]

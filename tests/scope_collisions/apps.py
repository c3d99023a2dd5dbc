from django.apps import AppConfig


class ScopeCollisionsConfig(AppConfig):
    name = "tests.scope_collisions"
    label = "scope_collisions"
    default_auto_field = "django.db.models.BigAutoField"

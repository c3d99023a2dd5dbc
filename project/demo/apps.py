from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "project.demo"
    label = "demo"
    verbose_name = "Demo dashboard"

    def ready(self) -> None:
        from project import lockout  # noqa: F401  (registers its system check: axes.W001 for our handler)

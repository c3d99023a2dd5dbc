from django.db import models


class Tenant(models.Model):
    """A host project's own tenant model, shaped nothing like perscom_oauth.Organization."""

    name = models.CharField(max_length=200)
    subdomain = models.SlugField(unique=True)
    tier = models.IntegerField()

    def __str__(self) -> str:
        return self.name

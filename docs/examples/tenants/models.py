"""A dashboard's own tenants, shaped like django-organizations: a tenant, its members (each
with a role), and a subscription that says which product, and so whether OAuth 2.0, it pays
for. perscom-oauth knows none of these: the adapter reads them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import models


class Tenant(models.Model):
    name = models.CharField(max_length=200)
    # perscom-oauth reads ``slug``: the OpenID Connect ``organization`` claim, introspection's
    # ``organization``, DEFAULT_ORGANIZATION and ``create_oauth_application --organization``.
    slug = models.SlugField(unique=True)
    # Where its dashboard answers (one host here; a table of hosts works the same way).
    hostname = models.CharField(max_length=253, unique=True)

    def __str__(self) -> str:  # shown on the consent screen and the error pages
        return self.name


class Role(models.Model):
    """A set of permissions a member holds in their tenant (a token's scopes come from it)."""

    name = models.CharField(max_length=100, unique=True)
    permissions = models.ManyToManyField(Permission, blank=True)

    def __str__(self) -> str:
        return self.name


class TenantUser(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.ForeignKey(Role, on_delete=models.PROTECT)
    is_owner = models.BooleanField(default=False)  # runs the tenant's OAuth in the admin

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="tenants_one_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"


class Subscription(models.Model):
    class Product(models.TextChoices):
        FREE = "free", "Free"
        TEAM = "team", "Team"
        ENTERPRISE = "enterprise", "Enterprise"

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="subscription")
    product = models.CharField(max_length=20, choices=Product.choices, default=Product.FREE)
    active = models.BooleanField(default=True)  # false once a payment fails

    def __str__(self) -> str:
        return f"{self.tenant}: {self.get_product_display()}"

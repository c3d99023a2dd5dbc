"""Admin for organizations. Applications use django-oauth-toolkit's admin until issue #5."""

from django.contrib import admin

from .models import Domain, Membership, Organization


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    filter_horizontal = ["roles"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "created"]
    list_filter = ["plan"]
    search_fields = ["name", "slug", "domains__hostname"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DomainInline, MembershipInline]

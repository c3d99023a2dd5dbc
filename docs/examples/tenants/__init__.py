"""A host project's own tenants, roles and plans, plugged into perscom-oauth through an adapter.

The complete example of docs/adapter.md: ``models.py`` (a django-organizations-like tenant with
members, roles and a subscription), ``adapter.py`` (the adapter), ``invalidation.py`` (telling
perscom-oauth when those models change) and ``apps.py``. ``tests/tenant_example/`` runs it.
Copy it into your project and rename; the settings it needs:

    INSTALLED_APPS += ["yourapp"]
    PERSCOM_OAUTH_ORGANIZATION_MODEL = "yourapp.Tenant"   # before the first migrate
    PERSCOM_OAUTH = {..., "ADAPTER": "yourapp.adapter.TenantAdapter"}
"""

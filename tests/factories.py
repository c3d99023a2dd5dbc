"""factory_boy factories for every model the tests create."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from perscom_oauth.models import Application, Domain, Membership, Organization

SECRET = "s3cret-for-tests"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org{n}")
    plan = Organization.Plan.ENTERPRISE
    domain = factory.RelatedFactory(
        "tests.factories.DomainFactory",
        factory_related_name="organization",
        hostname=factory.LazyAttribute(lambda d: f"{d.factory_parent.slug}.example.test"),
        is_primary=True,
    )


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    organization = factory.SubFactory(OrganizationFactory)
    hostname = factory.Sequence(lambda n: f"host{n}.example.test")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("pw")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"App {n}")
    organization = factory.SubFactory(OrganizationFactory)
    client_type = Application.CLIENT_CONFIDENTIAL
    authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    redirect_uris = REDIRECT_URI
    client_secret = SECRET

"""factory-boy factories with minimal fields; pass what a test cares about."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from orgs import models as org

DEMO_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(DEMO_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class MicroenterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.Microenterprise

    code = factory.Sequence(lambda n: f"me-{n:04d}")
    name = factory.Sequence(lambda n: f"Microenterprise {n}")
    kind = factory.LazyFunction(lambda: org.MEKind.objects.get(code="node"))
    status = org.Microenterprise.Status.ACTIVE
    founded_on = dt.date(2024, 1, 1)


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.Scenario

    code = factory.Sequence(lambda n: f"scenario-{n}")
    name = factory.Sequence(lambda n: f"Scenario {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.Category

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    is_core = True


class EMCFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.EMC

    code = factory.Sequence(lambda n: f"emc-{n:04d}")
    name = factory.Sequence(lambda n: f"EMC {n}")
    kind = org.EMC.Kind.EXPERIENCE
    lead_me = factory.SubFactory(MicroenterpriseFactory)
    formed_on = dt.date(2024, 1, 1)


class SolutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.Solution
        skip_postgeneration_save = True

    scenario = factory.SubFactory(ScenarioFactory)
    code = factory.Sequence(lambda n: f"sol-{n:04d}")
    name = factory.Sequence(lambda n: f"Solution {n}")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.Partner
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"partner-{n:05d}")
    name = factory.Sequence(lambda n: f"Partner {n}")
    state = org.Partner.State.ACTIVE
    state_since = dt.date(2024, 1, 1)
    applied_on = dt.date(2023, 12, 1)
    tier = factory.LazyFunction(lambda: org.PartnerTier.objects.get(code="registered"))

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create:
            self.roles.add(*(extracted or org.PartnerRole.objects.filter(code="product-service")))

"""factory-boy factories with minimal fields; pass what a test cares about."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from orgs import models as org

DEMO_PASSWORD = "correct-horse-battery"


def reference(model, code: str, **defaults):
    """A reference row the data migration loads; recreated if a transaction=True test flushed it."""
    return model.objects.get_or_create(code=code, defaults=defaults)[0]


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
            # get_or_create: tests with transaction=True flush the groups the migration made
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))


class MicroenterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.Microenterprise

    code = factory.Sequence(lambda n: f"me-{n:04d}")
    name = factory.Sequence(lambda n: f"Microenterprise {n}")
    kind = factory.LazyFunction(lambda: reference(org.MEKind, "node", name="Node"))
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
    tier = factory.LazyFunction(lambda: reference(org.PartnerTier, "registered", name="Registered", rank=0))

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create:
            self.roles.add(
                *(
                    extracted
                    or [reference(org.PartnerRole, "product-service", name="Product / service provider")]
                )
            )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.Membership

    me = factory.SubFactory(MicroenterpriseFactory)
    user = factory.SubFactory(UserFactory)
    weight = 100
    joined_on = dt.date(2024, 1, 1)


class EMCNodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.EMCNode

    emc = factory.SubFactory(EMCFactory)
    me = factory.SubFactory(MicroenterpriseFactory)
    share_weight = 100
    joined_on = dt.date(2024, 1, 1)


class EMCParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.EMCParticipation

    emc = factory.SubFactory(EMCFactory)
    partner = factory.SubFactory(PartnerFactory)
    started_on = dt.date(2024, 1, 1)


class PartnerProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = org.PartnerProposal

    partner = factory.SubFactory(PartnerFactory)
    to_state = org.Partner.State.ON_WATCH
    reason = "Ratings under expectation for 30 days"
    evidence = factory.LazyFunction(lambda: {"rating_share_above_expectation": 0.41})


def me_with_members(*weights, **kwargs):
    """An ME whose open members hold `weights` (e.g. 60, 40); returns (me, [users])."""
    me = MicroenterpriseFactory(**kwargs)
    users = [MembershipFactory(me=me, weight=w).user for w in weights]
    return me, users

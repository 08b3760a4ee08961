"""The posting engine's batch lookups apply the organization's rules, not a copy that drifts.

`ledger.context` loads participations and partner states for a whole batch at once and decides
creditability in Python; `orgs.selectors.partners_creditable_in_emc` is the organization's own
rule, one EMC and day at a time in SQL. Both must answer the same for every partner, EMC and day.
"""

import datetime as dt
import random

import pytest

from ledger.context import posting_context_load
from orgs.models import Partner
from orgs.selectors import partners_creditable_in_emc
from tests.factories import EMCFactory, EMCParticipationFactory, PartnerFactory

pytestmark = pytest.mark.django_db

START = dt.date(2025, 1, 1)


def _day(rng, spread=60):
    return START + dt.timedelta(days=rng.randrange(spread))


def test_batch_creditability_equals_the_organization_rule_on_random_histories():
    rng = random.Random(20261122)
    emcs = [EMCFactory() for _ in range(3)]
    partners = [PartnerFactory(state=rng.choice(Partner.State.values)) for _ in range(12)]
    # given random, non-overlapping participation spans (open or ended, some ending on the day
    # another starts) of every partner in some EMCs
    for partner in partners:
        for emc in emcs:
            cursor = _day(rng, 20)
            for _ in range(rng.randrange(3)):
                ended = None if rng.random() < 0.3 else cursor + dt.timedelta(days=rng.randrange(1, 15))
                EMCParticipationFactory(emc=emc, partner=partner, started_on=cursor, ended_on=ended)
                if ended is None:
                    break
                cursor = ended + dt.timedelta(days=rng.choice([0, 0, 1, 5]))
    days = sorted({_day(rng, 70) for _ in range(25)} | {START, START + dt.timedelta(days=19)})

    # when the engine loads the context for the whole batch at once
    ctx, _terms = posting_context_load(
        me_ids=set(),
        emc_ids={e.pk for e in emcs},
        scenario_ids=set(),
        solution_ids=set(),
        category_ids=set(),
        partner_ids={p.pk for p in partners},
        terms_until=None,
    )

    # then for every EMC, partner and day it agrees with the organization's selector
    checked = creditable = 0
    for emc in emcs:
        for on in days:
            expected = set(partners_creditable_in_emc(emc_id=emc.pk, on=on).values_list("pk", flat=True))
            for partner in partners:
                assert ctx.partner_creditable(emc.pk, partner.pk, on) == (partner.pk in expected), (
                    emc.code,
                    partner.code,
                    partner.state,
                    on,
                )
                checked += 1
                creditable += partner.pk in expected
    # and the random histories exercised both answers
    assert checked == len(emcs) * len(days) * len(partners)
    assert 0 < creditable < checked


@pytest.mark.postgres
def test_the_one_round_trip_loader_loads_what_the_orm_loaders_load():
    # given an organization with random seats, participations, ended MEs and contracts
    from ledger import context
    from orgs.models import EMCNode, Microenterprise
    from tests.factories import MicroenterpriseFactory
    from tests.ledger.factories import approved_contract, world_build

    rng = random.Random(7)
    world = world_build()
    mes = [world.lead_me, world.node_me] + [
        MicroenterpriseFactory(status=rng.choice(Microenterprise.Status.values), ended_on=_day(rng))
        for _ in range(4)
    ]
    for me in mes[2:]:
        EMCNode.objects.create(emc=world.emc, me=me, share_weight=1, joined_on=_day(rng))
    partners = [world.partner] + [PartnerFactory(state=rng.choice(Partner.State.values)) for _ in range(4)]
    for partner in partners[1:]:
        EMCParticipationFactory(emc=world.emc, partner=partner, started_on=_day(rng))
    approved_contract(world, effective_from=START + dt.timedelta(days=10))
    ids = {
        "me_ids": {m.pk for m in mes[:4]},
        "emc_ids": {world.emc.pk},
        "scenario_ids": {world.scenario.pk},
        "solution_ids": {world.solution.pk},
        "category_ids": {world.category.pk},
        "partner_ids": {p.pk for p in partners},
    }
    until = START + dt.timedelta(days=90)
    # when both loaders load the same batch
    orm_ctx, orm_terms = context._orm_posting_context(ids, until)
    sql_ctx, sql_terms = context._sql_posting_context(ids, until, {"CNY"})

    # then they load the same organization and the same contract terms
    def plain(ctx):
        return {
            "mes": {pk: (m.code, m.leader_id, m.status, m.ended_on) for pk, m in ctx.mes.items()},
            "emcs": ctx.emcs,
            "nodes": {k: sorted(v) for k, v in ctx.nodes.items()},
            "emc_scenarios": ctx.emc_scenarios,
            "solutions": ctx.solutions,
            "categories": ctx.categories,
            "partners": ctx.partners,
            "participations": {k: sorted(v, key=str) for k, v in ctx.participations.items()},
            "other_me_codes": ctx.other_me_codes,
            "ended_mes": ctx.ended_mes,
        }

    assert plain(sql_ctx) == plain(orm_ctx)
    assert sql_terms == orm_terms and len(orm_terms[world.emc.pk]) == 2


@pytest.mark.postgres
def test_the_function_loads_the_accounts_a_split_may_credit_and_the_contracts_node_mes():
    # given accounts of every kind in two currencies, of the batch's owners and of others, and
    # a batch naming only the lead ME (the contract's other node ME comes from its shares)
    from django.db.models import Q

    from ledger import context
    from ledger.models import Account
    from tests.factories import MicroenterpriseFactory
    from tests.ledger.factories import world_build

    SHARED_KINDS = ["clearing", "platform", "payable"]  # one account per currency each
    world = world_build()
    stranger_me, stranger_partner = MicroenterpriseFactory(), PartnerFactory()
    other_emc = EMCFactory()
    for currency in ("CNY", "USD"):
        for kind in SHARED_KINDS:
            Account.objects.create(code=f"{kind}:{currency}", kind=kind, currency=currency, name=kind)
        for me in (world.lead_me, world.node_me, stranger_me):
            Account.objects.create(
                code=f"me:{me.code}:{currency}", kind="me", me=me, currency=currency, name="m"
            )
        for emc in (world.emc, other_emc):
            Account.objects.create(
                code=f"emc:{emc.code}:{currency}", kind="emc_holdback", emc=emc, currency=currency, name="e"
            )
        for partner in (world.partner, stranger_partner):
            Account.objects.create(
                code=f"partner:{partner.code}:{currency}",
                kind="partner",
                partner=partner,
                currency=currency,
                name="p",
            )
    ids = {
        "me_ids": {world.lead_me.pk},
        "emc_ids": {world.emc.pk},
        "scenario_ids": {world.scenario.pk},
        "solution_ids": {world.solution.pk},
        "category_ids": {world.category.pk},
        "partner_ids": {world.partner.pk},
    }
    until = START + dt.timedelta(days=90)

    # when the function loads the batch's context, and the ORM loaders the same batch
    sql_ctx, sql_terms = context._sql_posting_context(ids, until, {"CNY"})
    orm_ctx, orm_terms = context._orm_posting_context(ids, until)

    # then it holds the accounts of the batch's currency a split can credit, and no other
    owners = (
        Q(kind__in=SHARED_KINDS)
        | Q(me_id__in=[world.lead_me.pk, world.node_me.pk])
        | Q(emc_id=world.emc.pk)
        | Q(partner_id=world.partner.pk)
    )
    expected = dict(Account.objects.filter(owners, currency="CNY").values_list("code", "id"))
    assert sql_ctx.accounts == expected and len(expected) == 3 + 2 + 1 + 1
    # and the contract's node ME outside the batch, as the ORM loaders find it
    assert sql_ctx.other_me_codes == orm_ctx.other_me_codes == {world.node_me.pk: world.node_me.code}
    assert sql_terms == orm_terms and len(sql_terms[world.emc.pk]) == 1

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

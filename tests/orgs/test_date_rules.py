"""The organization's date rules answer the same in both their forms.

`orgs.date_rules` gives each rule as a predicate on loaded rows (what the posting engine's batch
loader asks, thousands of times per import) and as a Q filter (what the pages' selectors ask
the database). On random histories, for every row and many days, both answer the same.
"""

import datetime as dt
import random

import pytest

from orgs import date_rules
from orgs.models import EMC, EMCNode, EMCParticipation, Microenterprise, Partner
from orgs.selectors import me_emcs, partners_creditable_in_emc
from tests.factories import EMCFactory, MicroenterpriseFactory, PartnerFactory

pytestmark = pytest.mark.django_db

START = dt.date(2025, 1, 1)


def _day(rng, spread=60):
    return START + dt.timedelta(days=rng.randrange(spread))


def _days(rng):
    # random days, the first day and some days on which spans start or end
    return sorted({_day(rng, 80) for _ in range(30)} | {START, START + dt.timedelta(days=20)})


def _spans(rng):
    """Random non-overlapping spans, open or ended, some ending on the day the next starts."""
    cursor = _day(rng, 20)
    for _ in range(rng.randrange(4)):
        ended = None if rng.random() < 0.3 else cursor + dt.timedelta(days=rng.randrange(1, 15))
        yield cursor, ended
        if ended is None:
            return
        cursor = ended + dt.timedelta(days=rng.choice([0, 0, 1, 5]))


def test_seats_agree_on_random_histories():
    rng = random.Random(91)
    mes = [MicroenterpriseFactory() for _ in range(6)]
    emcs = [EMCFactory(lead_me=rng.choice(mes), formed_on=START) for _ in range(4)]
    for me in mes:
        for emc in emcs:
            for joined, left in _spans(rng):
                EMCNode.objects.create(emc=emc, me=me, share_weight=10, joined_on=joined, left_on=left)
    seats = {}
    for emc_id, me_id, joined, left in EMCNode.objects.values_list("emc_id", "me_id", "joined_on", "left_on"):
        seats.setdefault((emc_id, me_id), []).append((joined, left))
    checked = seated = 0
    for on in _days(rng):
        for me in mes:
            in_sql = set(me_emcs(me=me, on=on).values_list("pk", flat=True))
            for emc in emcs:
                expected = date_rules.me_seated_on(emc.lead_me_id, me.pk, seats.get((emc.pk, me.pk), ()), on)
                assert (emc.pk in in_sql) == expected, (me.code, emc.code, on)
                checked += 1
                seated += expected
            seat_rows = set(EMCNode.objects.filter(date_rules.seat_q(on), me=me).values_list("pk", flat=True))
            for node in EMCNode.objects.filter(me=me):
                assert (node.pk in seat_rows) == date_rules.seat_covers_on(node.joined_on, node.left_on, on)
    assert 0 < seated < checked


def test_participations_agree_on_random_histories():
    rng = random.Random(92)
    emcs = [EMCFactory() for _ in range(3)]
    partners = [PartnerFactory(state=rng.choice(Partner.State.values)) for _ in range(10)]
    for partner in partners:
        for emc in emcs:
            for started, ended in _spans(rng):
                EMCParticipation.objects.create(emc=emc, partner=partner, started_on=started, ended_on=ended)
    spans = {}
    for emc_id, partner_id, started, ended in EMCParticipation.objects.values_list(
        "emc_id", "partner_id", "started_on", "ended_on"
    ):
        spans.setdefault((emc_id, partner_id), []).append((started, ended))
    checked = creditable = 0
    for on in _days(rng):
        for emc in emcs:
            in_sql = set(partners_creditable_in_emc(emc_id=emc.pk, on=on).values_list("pk", flat=True))
            for partner in partners:
                expected = date_rules.partner_creditable_on(
                    partner.state, spans.get((emc.pk, partner.pk), ()), on
                )
                assert (partner.pk in in_sql) == expected, (emc.code, partner.code, partner.state, on)
                checked += 1
                creditable += expected
    assert 0 < creditable < checked


def test_open_emcs_and_live_mes_agree_on_random_histories():
    rng = random.Random(93)
    for _ in range(25):
        formed = _day(rng, 30)
        ended = None if rng.random() < 0.4 else formed + dt.timedelta(days=rng.randrange(0, 40))
        EMCFactory(formed_on=formed, ended_on=ended)
        status = rng.choice(Microenterprise.Status.values)
        me_ended = None if rng.random() < 0.3 else _day(rng, 70)
        MicroenterpriseFactory(status=status, ended_on=me_ended)
    opened = live = 0
    for on in _days(rng):
        open_sql = set(EMC.objects.filter(date_rules.emc_open_q(on)).values_list("pk", flat=True))
        for emc in EMC.objects.all():
            expected = date_rules.emc_open_on(emc.formed_on, emc.ended_on, on)
            assert (emc.pk in open_sql) == expected, (emc.code, emc.formed_on, emc.ended_on, on)
            opened += expected
        live_sql = set(Microenterprise.objects.filter(date_rules.me_live_q(on)).values_list("pk", flat=True))
        for me in Microenterprise.objects.all():
            expected = date_rules.me_live_on(me.status, me.ended_on, on)
            assert (me.pk in live_sql) == expected, (me.code, me.status, me.ended_on, on)
            live += expected
    assert opened > 0 and live > 0

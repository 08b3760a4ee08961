"""The bulk writers' id-only results write the very rows their object-returning form writes."""

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from ledger.models import UserSignal, ValueEvent
from ledger.posting import ValueEventSpec, value_events_post
from ledger.user_signals import UserSignalSpec, user_signals_post

pytestmark = pytest.mark.django_db

SKIP = {"id", "logged_at"}


def _payment(world, now, amount):
    return ValueEventSpec(
        me_id=world.lead_me.pk,
        emc_id=world.emc.pk,
        scenario_id=world.scenario.pk,
        category_id=world.category.pk,
        user_ref="u-bulk-1",
        amount_minor=amount,
        currency="CNY",
        occurred_at=now - dt.timedelta(hours=1),
        partner_ids=(world.partner.pk,),
    )


def _signal(world, now, kind, **fields):
    return UserSignalSpec(
        kind=kind,
        me_id=world.lead_me.pk,
        emc_id=world.emc.pk,
        user_ref="u-bulk-1",
        occurred_at=now - dt.timedelta(hours=1),
        **fields,
    )


def _rows(model, ids):
    return [
        {k: v for k, v in model_to_dict(obj).items() if k not in SKIP}
        for obj in model.objects.filter(pk__in=ids).order_by("pk")
    ]


def test_events_posted_as_ids_are_the_events_posted_as_objects(world, now):
    objects = value_events_post(specs=[_payment(world, now, 19_900), _payment(world, now, 500)], actor=None)
    ids = value_events_post(
        specs=[_payment(world, now, 19_900), _payment(world, now, 500)], actor=None, as_ids=True
    )
    assert all(isinstance(pk, int) for pk in ids)

    def without_transaction(pks):
        return [{k: v for k, v in r.items() if k != "transaction"} for r in _rows(ValueEvent, pks)]

    assert without_transaction(ids) == without_transaction([e.pk for e in objects])
    assert len({e.transaction_id for e in ValueEvent.objects.filter(pk__in=ids)}) == 2


def test_signals_posted_as_ids_are_the_signals_posted_as_objects(world, now):
    def specs():
        return [
            _signal(world, now, "rating", rating=5, expectation=3),
            _signal(world, now, "ownership", products_owned=6, related_purchase=True),
            _signal(world, now, "story", note="Showed the balcony to the neighbours"),
        ]

    objects = user_signals_post(specs=specs(), actor=world.leader, now=now)
    ids = user_signals_post(specs=specs(), actor=world.leader, now=now, as_ids=True)
    assert len(ids) == 3
    assert _rows(UserSignal, ids) == _rows(UserSignal, [s.pk for s in objects])

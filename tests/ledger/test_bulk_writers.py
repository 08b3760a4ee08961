"""The bulk writer's id-only result writes the very rows its object-returning form writes."""

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from ledger.models import ValueEvent
from ledger.posting.specs import ValueEventSpec
from ledger.services import value_events_log

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


def _rows(model, ids):
    return [
        {k: v for k, v in model_to_dict(obj).items() if k not in SKIP}
        for obj in model.objects.filter(pk__in=ids).order_by("pk")
    ]


def test_events_posted_as_ids_are_the_events_posted_as_objects(world, now):
    objects = value_events_log(specs=[_payment(world, now, 19_900), _payment(world, now, 500)], actor=None)
    ids = value_events_log(
        specs=[_payment(world, now, 19_900), _payment(world, now, 500)], actor=None, as_ids=True
    )
    assert all(isinstance(pk, int) for pk in ids)

    def without_transaction(pks):
        return [{k: v for k, v in r.items() if k != "transaction"} for r in _rows(ValueEvent, pks)]

    assert without_transaction(ids) == without_transaction([e.pk for e in objects])
    assert len({e.transaction_id for e in ValueEvent.objects.filter(pk__in=ids)}) == 2

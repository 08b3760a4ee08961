"""The services' batch entry: a list of specs posted all or none, as a user or as the system,
with the permission to log for an ME asked once per ME, in the service (not in the engine)."""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError

from ledger import services
from ledger.models import Source, Transaction, ValueEvent
from ledger.posting.specs import BatchValidationError, ValueEventSpec
from tests.factories import MicroenterpriseFactory, UserFactory
from tests.ledger.test_importing import _csv, _row

pytestmark = pytest.mark.django_db


def _spec(world, now, i=0, **overrides) -> ValueEventSpec:
    fields = {
        "me_id": world.lead_me.pk,
        "emc_id": world.emc.pk,
        "scenario_id": world.scenario.pk,
        "solution_id": world.solution.pk,
        "category_id": world.category.pk,
        "user_ref": f"u-{i:05d}",
        "amount_minor": 10_000 + i,
        "currency": "CNY",
        "occurred_at": now - dt.timedelta(minutes=5 + i),
        "partner_ids": (world.partner.pk,),
    }
    fields.update(overrides)
    return ValueEventSpec(**fields)


def test_the_system_posts_a_batch_without_a_user(world, now):
    # the nightly jobs, the demo and the synthetic generator post as the system (actor None)
    events = services.value_events_log(
        specs=[_spec(world, now, i) for i in range(5)], actor=None, source=Source.JOB, now=now
    )
    assert [e.amount_minor for e in events] == [10_000 + i for i in range(5)]
    stored = ValueEvent.objects.filter(pk__in=[e.pk for e in events])
    assert {(e.source, e.logged_by_id) for e in stored} == {(Source.JOB, None)}
    assert Transaction.objects.filter(recorded_by__isnull=True).count() == 5


def test_rows_for_mes_the_user_does_not_lead_are_refused_by_row_asking_once_per_me(world, now):
    other = MicroenterpriseFactory()
    leader = world.leader
    asked = []
    has_perm = leader.has_perm

    def counting(perm, obj=None):
        asked.append((perm, getattr(obj, "pk", None)))
        return has_perm(perm, obj)

    leader.has_perm = counting
    specs = [_spec(world, now, i, **({"me_id": other.pk} if i % 2 else {})) for i in range(6)]
    with pytest.raises(BatchValidationError) as exc:
        services.value_events_log(specs=specs, actor=leader, now=now)
    # every row of the other ME names it, on the `me` field; nothing is written
    assert sorted(exc.value.row_errors) == [1, 3, 5]
    assert all(other.code in exc.value.row_errors[i]["me"][0] for i in (1, 3, 5))
    assert ValueEvent.objects.count() == 0
    # the rule was asked once for each of the two MEs, not once per row
    assert sorted(obj for perm, obj in asked if perm == "ledger.log_value") == sorted(
        [world.lead_me.pk, other.pk]
    )


def test_a_refund_takes_its_payments_me_and_its_permission(world, now):
    # given a payment of the world's ME, logged by the system
    (payment,) = services.value_events_log(specs=[_spec(world, now)], actor=None, now=now)
    refund = ValueEventSpec(
        kind="refund",
        original_id=payment.pk,
        user_ref="u-00000",
        amount_minor=100,
        currency="CNY",
        occurred_at=now,
    )
    # a leader of another ME may not refund it (the ME comes from the payment)
    stranger = UserFactory(roles=["me_leader"])
    MicroenterpriseFactory(leader=stranger)
    with pytest.raises(ValidationError) as exc:
        services.value_events_log(specs=[refund], actor=stranger, now=now)
    assert world.lead_me.code in exc.value.message_dict["me"][0]
    # its own leader may
    (posted,) = services.value_events_log(specs=[refund], actor=world.leader, now=now)
    assert posted.me_id == world.lead_me.pk and posted.kind == "refund"


def test_check_reports_what_log_would_refuse_and_writes_nothing(world, now):
    specs = [_spec(world, now, 0), _spec(world, now, 1, amount_minor=0)]
    assert list(services.value_events_check(specs=specs, actor=world.leader, now=now)) == [1]
    assert ValueEvent.objects.count() == 0


def test_a_csv_row_for_an_me_the_uploader_does_not_lead_fails_the_file_naming_it(
    world, now, settings, tmp_path
):
    from ledger.imports.batches import import_batch_create

    settings.MEDIA_ROOT = tmp_path
    other = MicroenterpriseFactory()
    rows = [_row(world, now, ref="a"), _row(world, now, ref="b", me_code=other.code)]
    batch = import_batch_create(actor=world.leader, kind="events", upload=_csv(rows), filename="e.csv")
    assert batch.status == "failed" and ValueEvent.objects.count() == 0
    report = list(csv.DictReader(io.StringIO(batch.error_report)))
    refusal = [r["message"] for r in report if r["row"] == "3" and r["column"] == "me_code"]
    assert refusal == [
        f"You may log value only for microenterprises you lead, and you do not lead {other.code}."
    ]

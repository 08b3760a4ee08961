"""The CSV import's overlap (PostgreSQL): chunk k is written in a thread on the import's own
connection while chunk k+1 is planned. Same rows as one chunk after the other; an error in a
late chunk still writes nothing; planning a chunk sends no query (the thread owns the
connection meanwhile)."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger import bulk, selectors
from ledger.imports import run
from ledger.imports.batches import import_batch_create
from ledger.imports.rows import EVENT_COLUMNS
from ledger.models import Leg, ValueEvent
from ledger.posting.engine import batch_check, batch_load
from ledger.posting.specs import ValueEventSpec

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _file(world, now, n: int, *, prefix: str = "a-", bad_line: int | None = None) -> SimpleUploadedFile:
    """n payments (every third with the partner), and after each fourth a refund of the payment
    two rows up: refunds reach back into the previous chunk when chunks are small."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVENT_COLUMNS)
    writer.writeheader()
    line = 1
    for i in range(n):
        line += 1
        writer.writerow(
            {
                "kind": "payment",
                "ref": f"{prefix}p-{i}",
                "me_code": world.lead_me.code,
                "emc_code": world.emc.code,
                "scenario_code": world.scenario.code,
                "solution_code": world.solution.code,
                "category_code": world.category.code,
                "user_ref": f"u-{1000 + i}",
                "amount": "-1" if line == bad_line else f"{10 + i}.25",
                "currency": "CNY",
                "occurred_at": (now - dt.timedelta(hours=1 + i)).isoformat(),
                "customized": "true" if i % 2 else "false",
                "partner_codes": world.partner.code if i % 3 == 0 else "",
            }
        )
        if i % 4 == 3:
            line += 1
            writer.writerow(
                {
                    "kind": "refund",
                    "ref": f"{prefix}r-{i}",
                    "original_ref": f"{prefix}p-{i - 2}",
                    "amount": "5.00",
                    "currency": "CNY",
                    "occurred_at": now.isoformat(),
                    "user_ref": f"u-{1000 + i - 2}",
                }
            )
    return SimpleUploadedFile("events.csv", out.getvalue().encode(), content_type="text/csv")


def _written(batch) -> list[tuple]:
    """The import's rows as comparable values: each event with its legs (accounts by code)."""
    out = []
    for event in ValueEvent.objects.filter(import_batch=batch).order_by("idempotency_key"):
        legs = sorted(
            Leg.objects.filter(transaction_id=event.transaction_id).values_list(
                "account__code", "amount_minor", "rule", "basis"
            ),
            key=repr,
        )
        original = event.original.idempotency_key[2:] if event.original_id else None
        partners = sorted(event.partners.values_list("code", flat=True))
        out.append((event.idempotency_key[2:], event.kind, event.amount_minor, original, partners, legs))
    return out


def test_overlapped_chunks_write_what_one_chunk_after_the_other_writes(world, now, monkeypatch):
    monkeypatch.setattr(run, "CHUNK", 3)
    started = []
    real_start = bulk.BackgroundWriter.start

    def counting_start(self, job):
        started.append(1)
        return real_start(self, job)

    monkeypatch.setattr(bulk.BackgroundWriter, "start", counting_start)
    overlapped = import_batch_create(
        actor=world.leader, kind="events", upload=_file(world, now, 16), filename="a.csv"
    )
    assert overlapped.status == "posted" and overlapped.rows == 20, overlapped.error_report
    assert len(started) >= 5  # the thread wrote chunks, not only the last one in line
    first = _written(overlapped)

    monkeypatch.setattr(run._EventsPass, "run_overlapped", lambda self: [self.flush() for _ in self.chunks()])
    serial = import_batch_create(
        actor=world.leader, kind="events", upload=_file(world, now, 16, prefix="b-"), filename="b.csv"
    )
    assert serial.status == "posted", serial.error_report
    assert _written(serial) == first
    assert set(selectors.ledger_totals_by_currency().values()) == {0}
    assert selectors.ledger_check_rollups() == []


def test_a_bad_row_in_a_late_chunk_writes_nothing_of_the_earlier_chunks(world, now, monkeypatch):
    monkeypatch.setattr(run, "CHUNK", 3)
    legs_before = Leg.objects.count()
    batch = import_batch_create(
        actor=world.leader, kind="events", upload=_file(world, now, 16, bad_line=19), filename="bad.csv"
    )
    assert batch.status == "failed" and "19" in batch.error_report
    assert not ValueEvent.objects.filter(idempotency_key__startswith="a-p-").exists()
    assert Leg.objects.count() == legs_before


def test_planning_a_chunk_sends_no_query(world, now, django_assert_num_queries):
    specs = [
        ValueEventSpec(
            me_id=world.lead_me.pk,
            emc_id=world.emc.pk,
            scenario_id=world.scenario.pk,
            solution_id=world.solution.pk,
            category_id=world.category.pk,
            user_ref=f"u-{i:04d}",
            amount_minor=1000 + i,
            currency="CNY",
            occurred_at=now - dt.timedelta(hours=i + 1),
            customized=bool(i % 2),
            partner_ids=(world.partner.pk,) if i % 2 else (),
        )
        for i in range(6)
    ]
    loaded = batch_load(specs)
    with django_assert_num_queries(0):
        planned = batch_check(loaded, now=now)
    assert all(plan is not None for plan in planned.plans) and not planned.errors

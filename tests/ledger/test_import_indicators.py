"""CSV import of purpose indicators: the API's and the form's rules, the whole file validated
before anything is written, refs kept as idempotency keys, the web upload and its sample."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ledger.imports.batches import import_batch_create
from ledger.imports.rows import INDICATOR_COLUMNS
from ledger.models import ImportBatch, PurposeIndicator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _csv(rows) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=INDICATOR_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("indicators.csv", out.getvalue().encode(), content_type="text/csv")


def _errors(batch) -> set[tuple[int, str]]:
    return {(int(r["row"]), r["column"]) for r in csv.DictReader(io.StringIO(batch.error_report))}


def _row(world, now, **overrides) -> dict:
    row = {
        "kind": "co2e_avoided",
        "me_code": world.lead_me.code,
        "emc_code": world.emc.code,
        "on": (now - dt.timedelta(days=1)).date().isoformat(),
        "quantity": "120.5",
        "unit": "kg CO2e",
    }
    return {**row, **overrides}


def test_a_valid_file_writes_every_indicator_once(world, now):
    rows = [
        _row(world, now, ref="i-1"),
        _row(world, now, ref="i-2", kind="energy_saved", quantity="310", unit="kWh", note="LED retrofit"),
        _row(world, now, kind="people_served", quantity="0", unit="people"),
    ]
    batch = import_batch_create(actor=world.leader, kind="indicators", upload=_csv(rows), filename="i.csv")
    assert batch.status == "posted" and batch.rows == 3, batch.error_report
    stored = PurposeIndicator.objects.order_by("id")
    assert [(i.kind, i.quantity, i.unit, i.source) for i in stored] == [
        ("co2e_avoided", Decimal("120.500"), "kg CO2e", "csv"),
        ("energy_saved", Decimal("310.000"), "kWh", "csv"),
        ("people_served", Decimal("0.000"), "people", "csv"),
    ]
    assert stored[1].note == "LED retrofit" and stored[0].logged_by == world.leader
    # the same refs again: refused row by row, nothing more written
    again = import_batch_create(
        actor=world.leader, kind="indicators", upload=_csv(rows[:2]), filename="i.csv"
    )
    assert again.status == "failed" and PurposeIndicator.objects.count() == 3
    assert _errors(again) == {(2, "ref"), (3, "ref")}


@pytest.mark.parametrize(
    "overrides, column",
    [
        ({"unit": "t CO2e"}, "unit"),  # another unit is refused, never converted
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "1e3"}, "quantity"),
        ({"quantity": "1.2345"}, "quantity"),
        ({"kind": "trees_planted"}, "kind"),
        ({"on": "2999-01-01"}, "on"),
        ({"on": "03/01/2025"}, "on"),
        ({"emc_code": "nope"}, "emc_code"),
        ({"me_code": ""}, "me_code"),
        ({"note": "x" * 300}, "note"),
    ],
)
def test_a_bad_row_fails_the_whole_file_with_its_field(world, now, overrides, column):
    rows = [_row(world, now), _row(world, now, **overrides)]
    batch = import_batch_create(actor=world.leader, kind="indicators", upload=_csv(rows), filename="i.csv")
    assert batch.status == "failed"
    assert PurposeIndicator.objects.count() == 0  # the good first row was not written either
    assert _errors(batch) == {(3, column)}


def test_an_me_the_uploader_does_not_lead_is_refused(world, now):
    rows = [_row(world, now, me_code=world.node_me.code)]
    batch = import_batch_create(actor=world.leader, kind="indicators", upload=_csv(rows), filename="i.csv")
    assert batch.status == "failed" and PurposeIndicator.objects.count() == 0
    assert "lead" in batch.error_report


def test_the_upload_page_offers_the_kind_and_its_sample(client, world, now):
    client.force_login(world.leader)
    page = client.get(reverse("ledger:import"))
    assert b'value="indicators"' in page.content
    sample = client.get(reverse("ledger:import-sample", args=["indicators"]))
    assert sample.status_code == 200
    lines = sample.content.decode().splitlines()
    assert lines[0] == ",".join(INDICATOR_COLUMNS)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert max(line.split(",")[4] for line in lines[1:]) == yesterday  # moved to the last days
    response = client.post(
        reverse("ledger:import"),
        {"kind": "indicators", "file": _csv([_row(world, now, ref="web-1")])},
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == "validated" and not PurposeIndicator.objects.exists()  # shown, then posted
    client.post(reverse("ledger:import-post", args=[batch.pk]))
    assert PurposeIndicator.objects.get().idempotency_key == "web-1"

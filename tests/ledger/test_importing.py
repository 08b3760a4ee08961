"""CSV import: validated whole; either every row posts or none, with a row-by-row report."""

import csv
import datetime as dt
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger import selectors
from ledger.imports.batches import import_batch_create, import_batch_post
from ledger.imports.rows import EVENT_COLUMNS
from ledger.models import Leg, Transaction, UserSignal, ValueEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _csv(rows, columns=EVENT_COLUMNS) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return SimpleUploadedFile("events.csv", out.getvalue().encode(), content_type="text/csv")


def _row(world, now, **overrides):
    row = {
        "kind": "payment",
        "me_code": world.lead_me.code,
        "emc_code": world.emc.code,
        "scenario_code": world.scenario.code,
        "solution_code": world.solution.code,
        "category_code": world.category.code,
        "user_ref": "u-1000",
        "amount": "100.00",
        "currency": "CNY",
        "occurred_at": (now - dt.timedelta(days=1)).isoformat(),
        "customized": "false",
        "partner_codes": world.partner.code,
    }
    row.update(overrides)
    return row


def test_a_valid_file_posts_every_row_including_in_file_refunds(world, now):
    rows = [
        _row(world, now, ref="p-1"),
        _row(world, now, ref="p-2", amount="50.00", customized="true", partner_codes=""),
        _row(
            world,
            now,
            kind="refund",
            ref="r-1",
            original_ref="p-1",
            amount="40.00",
            occurred_at=now.isoformat(),
        ),
    ]
    batch = import_batch_create(actor=world.leader, kind="events", upload=_csv(rows), filename="events.csv")
    assert batch.status == "posted" and batch.rows == 3, batch.error_report
    refund = ValueEvent.objects.get(kind="refund")
    assert refund.original.idempotency_key == "p-1" and refund.amount_minor == 4000
    assert ValueEvent.objects.filter(import_batch=batch, source="csv").count() == 3
    assert set(selectors.ledger_totals_by_currency().values()) == {0}
    assert selectors.ledger_check_rollups() == []


def test_a_file_with_errors_writes_nothing_and_reports_each_row(world, now):
    rows = [
        _row(world, now),
        _row(world, now, amount="-5"),
        _row(world, now, me_code="nope", currency="ZZZ"),
        _row(world, now, occurred_at="yesterday"),
        _row(world, now, kind="refund", original_ref="missing", amount="1.00"),
        _row(world, now, user_ref="joe@example.org"),
    ]
    batch = import_batch_create(actor=world.leader, kind="events", upload=_csv(rows), filename="events.csv")
    assert batch.status == "failed"
    assert ValueEvent.objects.count() == 0 and Transaction.objects.count() == 0 and Leg.objects.count() == 0
    report = list(csv.DictReader(io.StringIO(batch.error_report)))
    cells = {(r["row"], r["column"]) for r in report}
    assert {
        ("3", "amount"),
        ("4", "me_code"),
        ("4", "currency"),
        ("5", "occurred_at"),
        ("6", "original_ref"),
        ("7", "user_ref"),
    } <= cells
    assert ("2", "amount") not in cells and batch.errors == len(report)


def test_a_malformed_header_is_refused(world):
    upload = SimpleUploadedFile("x.csv", b"foo,bar\n1,2\n")
    batch = import_batch_create(actor=world.leader, kind="events", upload=upload, filename="x.csv")
    assert batch.status == "failed" and "Unknown column" in batch.error_report


def test_validate_first_then_post_and_refs_cannot_be_imported_twice(world, now):
    rows = [_row(world, now, ref="once-1"), _row(world, now, ref="once-2")]
    batch = import_batch_create(
        actor=world.leader, kind="events", upload=_csv(rows), filename="e.csv", commit=False
    )
    assert batch.status == "validated" and ValueEvent.objects.count() == 0
    posted = import_batch_post(actor=world.leader, batch=batch)
    assert posted.status == "posted" and ValueEvent.objects.count() == 2
    again = import_batch_create(actor=world.leader, kind="events", upload=_csv(rows), filename="e.csv")
    assert again.status == "failed" and "already imported" in again.error_report
    assert ValueEvent.objects.count() == 2


def test_signals_import(world, now):
    columns = [
        "kind",
        "me_code",
        "emc_code",
        "user_ref",
        "occurred_at",
        "rating",
        "expectation",
        "co_creation_kind",
        "note",
    ]
    common = {
        "me_code": world.lead_me.code,
        "emc_code": world.emc.code,
        "user_ref": "u-55",
        "occurred_at": now.isoformat(),
    }
    rows = [
        {**common, "kind": "rating", "rating": "4", "expectation": "3"},
        {**common, "kind": "co_creation", "co_creation_kind": "test"},
        {**common, "kind": "story", "note": "Shared the balcony on a forum"},
    ]
    batch = import_batch_create(
        actor=world.leader, kind="signals", upload=_csv(rows, columns), filename="s.csv"
    )
    assert batch.status == "posted", batch.error_report
    assert UserSignal.objects.count() == 3
    bad = import_batch_create(
        actor=world.leader,
        kind="signals",
        upload=_csv([{**rows[0], "rating": "9"}], columns),
        filename="s.csv",
    )
    assert bad.status == "failed" and "rating" in bad.error_report and UserSignal.objects.count() == 3


def test_twenty_thousand_rows_post_in_one_go(world, now):
    # the 100,000-row figure is measured in bench/; this proves the path at scale (untimed)
    rows = [
        _row(
            world,
            now,
            user_ref=f"u-{i:06d}",
            amount=f"{(i % 500) + 1}.{i % 100:02d}",
            partner_codes=world.partner.code if i % 3 else "",
        )
        for i in range(20_000)
    ]
    started = time.monotonic()
    batch = import_batch_create(actor=world.leader, kind="events", upload=_csv(rows), filename="big.csv")
    elapsed = time.monotonic() - started
    assert batch.status == "posted", batch.error_report[:500]
    assert ValueEvent.objects.count() == 20_000
    assert set(selectors.ledger_totals_by_currency().values()) == {0}
    print(f"20k rows in {elapsed:.1f}s")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_preview_of_a_refund_of_a_stored_payment_validates_without_writing(world, now, log):
    # given a stored payment (no request-wide transaction around the preview: autocommit)
    payment = log(amount="100.00", idempotency_key="p-stored")
    rows = [
        _row(
            world,
            now,
            kind="refund",
            ref="r-1",
            original_ref="p-stored",
            amount="40.00",
            occurred_at=now.isoformat(),
        )
    ]
    events_before, legs_before = ValueEvent.objects.count(), Leg.objects.count()

    # when the leader previews the file (validate only)
    batch = import_batch_create(
        actor=world.leader, kind="events", upload=_csv(rows), filename="refund.csv", commit=False
    )

    # then the file is reported valid and nothing reached the ledger
    assert batch.status == "validated" and batch.rows == 1, batch.error_report
    assert ValueEvent.objects.count() == events_before and Leg.objects.count() == legs_before
    # and posting it later refunds the stored payment
    posted = import_batch_post(actor=world.leader, batch=batch)
    assert posted.status == "posted", posted.error_report
    assert ValueEvent.objects.get(kind="refund").original_id == payment.pk


def test_a_refund_row_in_another_currency_is_refused(world, now, log):
    # given a stored CNY payment
    log(amount="100.00", idempotency_key="p-cny")
    before = (ValueEvent.objects.count(), Leg.objects.count())
    # when a file refunds it with "100,JPY"
    rows = [
        _row(world, now, kind="refund", ref="r-jpy", original_ref="p-cny", amount="100", currency="JPY"),
        # and refunds an in-file CNY payment in JPY too
        _row(world, now, ref="p-file"),
        _row(world, now, kind="refund", ref="r-jpy-2", original_ref="p-file", amount="5", currency="JPY"),
    ]
    batch = import_batch_create(actor=world.leader, kind="events", upload=_csv(rows), filename="refund.csv")
    # then the import fails on the currency column of both refund rows and writes nothing
    assert batch.status == "failed"
    report = list(csv.DictReader(io.StringIO(batch.error_report)))
    assert {(r["row"], r["column"]) for r in report} == {("2", "currency"), ("4", "currency")}, report
    assert all("currency of its payment (CNY)" in r["message"] for r in report)
    assert (ValueEvent.objects.count(), Leg.objects.count()) == before


@pytest.mark.parametrize("body", [None, {}, "plain text"])
def test_posting_a_batch_checks_permission_before_reading_the_body(world, now, body):
    """A session user (CSRF checked, which reads the form body) is refused 403, not 415."""
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    batch = import_batch_create(
        actor=world.leader, kind="events", upload=_csv([_row(world, now)]), filename="e.csv", commit=False
    )
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory(roles=["me_member"]))
    token = "a" * 32
    client.cookies["csrftoken"] = token
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-post", "HTTP_X_CSRFTOKEN": token}
    url = f"/api/imports/{batch.pk}/post/"
    if body is None:
        response = client.post(url, **headers)
    elif isinstance(body, str):
        response = client.post(url, body, content_type="text/plain", **headers)
    else:
        response = client.post(url, body, format="json", **headers)
    assert response.status_code == 403, response.content
    batch.refresh_from_db()
    assert batch.status == "validated" and ValueEvent.objects.count() == 0


def test_the_uploader_posts_a_batch_with_or_without_a_json_body(world, now):
    from rest_framework.test import APIClient

    batch = import_batch_create(
        actor=world.leader, kind="events", upload=_csv([_row(world, now)]), filename="e.csv", commit=False
    )
    client = APIClient()
    client.force_authenticate(world.leader)
    response = client.post(f"/api/imports/{batch.pk}/post/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-own")
    assert response.status_code == 200 and response.json()["status"] == "posted"
    assert ValueEvent.objects.count() == 1


def test_a_cell_past_the_csv_modules_limit_is_named_on_its_row(world, now):
    default_limit = csv.field_size_limit(131072)  # the csv module's default, as in a fresh process
    try:
        rows = [_row(world, now, user_ref="u-1"), _row(world, now, user_ref="u-2", note="x" * 300_000)]
        batch = import_batch_create(
            actor=world.leader,
            kind="events",
            upload=_csv([*rows], [*EVENT_COLUMNS, "note"]),
            filename="e.csv",
        )
    finally:
        csv.field_size_limit(max(default_limit, csv.field_size_limit()))
    assert batch.status == "failed" and ValueEvent.objects.count() == 0
    report = list(csv.DictReader(io.StringIO(batch.error_report)))
    assert [(r["row"], r["column"]) for r in report] == [("3", "note")]
    assert "UTF-8" not in report[0]["message"]

"""Hostile input, the same table through every entry point that logs a payment: the web form,
the API (single and batch) and a CSV upload. Each is refused with an error on its field (its
column in the CSV report), never a 5xx; nothing is written and the ledger stays balanced."""

import csv
import datetime as dt
import io
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ledger import selectors
from ledger.imports.rows import EVENT_COLUMNS
from ledger.models import AccountDay, ImportBatch, Leg, Transaction, ValueEvent
from tests.ledger.test_views import local

pytestmark = pytest.mark.django_db

HOUR_AGO = object()  # a valid occurred-at, written as each entry point writes it

# (field, hostile value, the entry points it applies to); None: all four
HOSTILE = [
    ("amount", "1e20", None),
    ("amount", "99999999999999999.99", None),
    ("amount", "50000000000000000.00", None),
    ("amount", "100000000.01", None),  # one cent over the default per-event maximum (CNY)
    ("amount", "1e2", None),
    ("amount", "1_000", None),
    ("amount", "١٢٣", None),  # Arabic-Indic digits
    ("amount", "1,000.00", None),
    ("amount", "NaN", None),
    ("amount", "-5.00", None),
    ("amount", "0.00", None),
    ("amount", "1.999", None),
    ("amount", 1.5, {"api", "batch"}),  # a JSON number
    ("amount", 100, {"api", "batch"}),
    ("currency", "XXX", None),
    ("currency", "C\x00Y", {"api", "batch", "csv"}),
    ("occurred_at", "2025-03-01T10:00:00", {"api", "batch", "csv"}),  # no zone
    ("occurred_at", "0001-01-01T00:00:00Z", {"api", "batch", "csv"}),
    ("occurred_at", "9999-12-31T23:59:59Z", {"api", "batch", "csv"}),
    ("occurred_at", "yesterday", None),
    ("note", "x" * 100_000, None),
    ("note", "x" * 256, None),
    ("note", "a\x00b", None),
    ("note", "bell\x07", {"api", "batch", "csv"}),
    ("user_ref", "someone@example.com", None),
    ("user_ref", "u\x00-1234", None),
    ("customized", "maybe", {"api", "batch", "csv"}),
]
ENTRY_POINTS = ["form", "api", "batch", "csv"]
CASES = [
    pytest.param(entry, field, value, id=f"{entry}-{field}-{str(value)[:24]!r}")
    for field, value, only in HOSTILE
    for entry in ENTRY_POINTS
    if only is None or entry in only
]


def _written():
    return (
        Transaction.objects.count(),
        Leg.objects.count(),
        ValueEvent.objects.count(),
        AccountDay.objects.count(),
    )


def _api_body(world, **overrides):
    body = {
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "scenario": world.scenario.code,
        "solution": world.solution.code,
        "category": world.category.code,
        "user_ref": "u-0042",
        "amount": "199.00",
        "currency": "CNY",
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "customized": False,
        "partners": [world.partner.code],
        "note": "",
    }
    body.update(overrides)
    return body


def _api(world):
    client = APIClient()
    client.force_authenticate(world.leader)
    return client


def via_form(client, world, field, value) -> tuple[int, str]:
    client.force_login(world.leader)
    data = {
        "token": uuid.uuid4().hex,
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "scenario": world.scenario.code,
        "solution": world.solution.code,
        "category": world.category.code,
        "user_ref": "u-12345",
        "amount": "199.00",
        "currency": "CNY",
        "occurred_at": local(timezone.now() - dt.timedelta(hours=1)),
        "partners": [world.partner.code],
        field: value,
    }
    response = client.post("/ledger/log/", data)
    errors = response.context["form"].errors if response.context and "form" in response.context else {}
    return response.status_code, " ".join(errors.get(field, []))


def via_api(client, world, field, value) -> tuple[int, str]:
    response = _api(world).post(
        "/api/value-events/",
        _api_body(world, **{field: value}),
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    return response.status_code, " ".join(response.json().get("errors", {}).get(field, []))


def via_batch(client, world, field, value) -> tuple[int, str]:
    good, bad = _api_body(world), _api_body(world, **{field: value})
    response = _api(world).post(
        "/api/value-events/batch/",
        {"events": [good, bad]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    row = response.json().get("errors", {}).get("1", {})
    return response.status_code, " ".join(row.get(field, []))


def via_csv(client, world, field, value) -> tuple[int, str]:
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
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "customized": "false",
        "partner_codes": world.partner.code,
        "note": "",
    }
    good = dict(row)
    row[field] = str(value)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVENT_COLUMNS)
    writer.writeheader()
    writer.writerows([good, row])
    upload = io.BytesIO(out.getvalue().encode())
    upload.name = "events.csv"
    response = _api(world).post(
        "/api/imports/",
        {"kind": "events", "file": upload, "commit": "true"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    batch = ImportBatch.objects.order_by("-pk").first()
    report = list(csv.reader(io.StringIO(batch.error_report))) if batch else []
    messages = [message for line, column, message in report[1:] if line == "3" and column == field]
    return response.status_code, " ".join(messages)


VIA = {"form": via_form, "api": via_api, "batch": via_batch, "csv": via_csv}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize(("entry", "field", "value"), CASES)
def test_hostile_value_is_refused_on_its_field_and_writes_nothing(client, world, entry, field, value):
    before = _written()
    status, message = VIA[entry](client, world, field, value)
    assert status == 400, (status, message)
    assert message, f"no error on {field}"
    assert _written() == before
    assert all(v == 0 for v in selectors.ledger_totals_by_currency().values())


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_the_same_good_value_is_accepted_everywhere(client, world, entry):
    """The table's control: what each entry point refuses above differs from this one value."""
    before = Transaction.objects.count()
    status, message = VIA[entry](client, world, "amount", "100000000.00")  # exactly the maximum
    if entry == "form":  # a large amount: the form asks to confirm it first
        assert status == 400 and not message
        return
    assert status in (201, 302), (status, message)
    assert Transaction.objects.count() > before

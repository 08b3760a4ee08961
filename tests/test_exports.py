"""Every CSV the project serves is safe to open in a spreadsheet: a text cell that would run as a
formula (`=`, `+`, `-`, `@`, tab, carriage return) is read back with a leading quote, numbers
(negative amounts too) stay numbers. One test per export, over the real views."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from config.exports import csv_text, safe_cell
from ledger import services
from ledger.models import ImportBatch
from tests.factories import PartnerFactory
from tests.ledger.factories import world_build

pytestmark = pytest.mark.django_db

HEADER_ATTACK = '=HYPERLINK("http://evil.example")'  # a column name (no comma: one header cell)
ATTACKS = ['=HYPERLINK("http://evil.example","x")', "@SUM(A1)", "+1+1", "-2+3", "\t=1+1", "\r=1+1"]


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_text_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", [-1990, 0, Decimal("-19.90"), -0.5, "-19.90", "-7", "199.00", "plain text", "a=b", "x-1"]
)
def test_numbers_and_harmless_text_are_written_as_they_are(value):
    assert safe_cell(value) == value


def test_a_cell_cannot_spill_into_the_next_one():
    assert list(csv.reader(io.StringIO(csv_text([['a,"=1+1', "b"]])))) == [['a,"=1+1', "b"]]
    assert safe_cell(None) == ""


def test_the_partner_export_neutralises_formula_names(admin_client):
    for i, name in enumerate(ATTACKS):
        PartnerFactory(
            code=f"evil-{i}", name=name, contact_name="=cmd|' /C calc'!A0", revenue_baseline_minor=-500
        )
    rows = _rows(admin_client.get("/partners/export.csv"))
    header, body = rows[0], rows[1:]
    names = {row[header.index("name")] for row in body}
    assert names == {"'" + name for name in ATTACKS}
    assert {row[header.index("contact_name")] for row in body} == {"'=cmd|' /C calc'!A0"}
    assert {row[header.index("revenue_baseline_minor")] for row in body} == {"-500"}  # a number


def _ledger_world():
    world = world_build()
    payment = services.value_event_log(
        actor=world.leader,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        solution=world.solution,
        category=world.category,
        user_ref="-A1-B1",  # a valid pseudonymous reference that a spreadsheet would compute
        amount="199.00",
        currency="CNY",
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        partners=[world.partner],
    )
    services.value_event_refund(
        actor=world.leader, original=payment, amount="19.90", occurred_at=timezone.now(), note="x"
    )
    return world


def test_the_me_ledger_export_neutralises_text_and_keeps_negative_amounts(client):
    world = _ledger_world()
    client.force_login(world.admin)
    rows = _rows(client.get(f"/ledger/me/{world.lead_me.code}/export.csv"))
    header, body = rows[0], rows[1:]
    assert {row[header.index("user_ref")] for row in body} == {"'-A1-B1"}
    amounts = [row[header.index("leg_amount")] for row in body]
    assert "-9.95" in amounts and any(a.startswith("-") for a in amounts[6:])  # the refund's legs too
    assert sum(Decimal(a) for a in amounts) == 0  # every amount is a number, as written


def _bad_upload(world):
    header = "me_code,emc_code,scenario_code,category_code,user_ref,amount,currency,occurred_at,"
    header += HEADER_ATTACK + "\n"
    line = f"{world.lead_me.code},{world.emc.code},x,y,u-0001,1.00,CNY,2025-01-01T00:00:00Z,z\n"
    return SimpleUploadedFile("events.csv", (header + line).encode(), content_type="text/csv")


@pytest.fixture
def failed_import(settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    world = world_build()
    client.force_login(world.leader)
    client.post("/ledger/import/", {"kind": "events", "file": _bad_upload(world)})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    stored = list(csv.reader(io.StringIO(batch.error_report)))
    assert stored[1][1] == HEADER_ATTACK  # the report is stored as raw data: neutralised when served
    return world, batch


def test_the_import_error_report_neutralises_a_formula_column_name(client, failed_import):
    _world, batch = failed_import
    rows = _rows(client.get(f"/ledger/import/{batch.pk}/errors.csv"))
    assert rows[0] == ["row", "column", "message"]
    assert rows[1][:2] == ["1", "'" + HEADER_ATTACK]


def test_the_api_error_report_neutralises_a_formula_column_name(failed_import):
    world, batch = failed_import
    api = APIClient()
    api.force_authenticate(world.leader)
    response = api.get(f"/api/imports/{batch.pk}/errors/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert _rows(response)[1][1] == "'" + HEADER_ATTACK


@pytest.mark.parametrize("kind", ["events", "signals"])
def test_the_import_samples_go_through_the_same_writer(client, kind):
    world = world_build()
    client.force_login(world.leader)
    response = client.get(f"/ledger/import/sample/{kind}.csv")
    rows = _rows(response)
    assert response["Content-Disposition"].startswith("attachment;") and len(rows) > 1
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)

"""Hostile requests beyond single values: unreadable CSV files, bodies nested 5,000 deep, ids
that are not numbers, integers past 64 bits, NUL bytes in addresses, oversized uploads, and an
ME emptied of its leader. Each answers a 4xx that says what is wrong, never a 5xx, and
writes nothing."""

import csv
import datetime as dt
import io
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ledger.imports.rows import EVENT_COLUMNS
from ledger.models import Contract, ImportBatch, ValueEvent
from orgs.models import AuditEntry, Membership, Partner, PartnerTransition
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def key() -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}


def _csv_text(world) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVENT_COLUMNS)
    writer.writeheader()
    writer.writerow(
        {
            "kind": "payment",
            "me_code": world.lead_me.code,
            "emc_code": world.emc.code,
            "scenario_code": world.scenario.code,
            "category_code": world.category.code,
            "user_ref": "u-1000",
            "amount": "100.00",
            "currency": "CNY",
            "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "note": "Café crème",
        }
    )
    return out.getvalue()


def upload(world, raw: bytes):
    file = io.BytesIO(raw)
    file.name = "events.csv"
    return client_for(world.leader).post(
        "/api/imports/", {"kind": "events", "file": file, "commit": "true"}, format="multipart", **key()
    )


@pytest.mark.parametrize(
    ("encode", "expected"),
    [
        (lambda text: text.encode("latin-1"), "not valid UTF-8"),
        (lambda text: text.encode("utf-16"), "UTF-16"),  # with its byte-order mark
        (lambda text: text.encode("utf-16-le"), "NUL bytes"),  # without one
        (lambda text: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "UTF-8"),
        (lambda text: b"\xff\xd8\xff\xe0" + b"\xfe\x81" * 500, "not valid UTF-8"),
        (lambda text: text.replace("u-1000", "u-1000\x00").encode(), "NUL"),
    ],
    ids=["latin-1", "utf-16-bom", "utf-16-no-bom", "binary", "jpeg-ish", "nul-in-cell"],
)
def test_a_csv_that_is_not_utf8_text_is_refused_with_its_reason(world, encode, expected):
    response = upload(world, encode(_csv_text(world)))
    assert response.status_code == 400, response.content
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    assert batch.status == "failed" and expected in batch.error_report, batch.error_report
    assert ValueEvent.objects.count() == 0


def test_the_same_file_in_utf8_posts(world):
    response = upload(world, _csv_text(world).encode())
    assert response.status_code == 201, response.json()
    assert ValueEvent.objects.get().note == "Café crème"


def test_an_upload_past_the_limit_is_refused_before_it_is_stored(world, settings, tmp_path):
    settings.UPLOAD_MAX_MB = 1
    big = _csv_text(world).encode() + b"x" * (1024 * 1024 + 1)
    response = upload(world, big)
    assert response.status_code == 413
    assert "larger than 1 MB" in response.json()["errors"]["file"][0]
    assert ImportBatch.objects.count() == 0
    assert not any(tmp_path.rglob("*.csv"))


def test_the_web_upload_says_the_file_is_too_large(client, world, settings):
    settings.UPLOAD_MAX_MB = 1
    client.force_login(world.leader)
    file = io.BytesIO(b"x" * (1024 * 1024 + 10))
    file.name = "events.csv"
    response = client.post("/ledger/import/", {"kind": "events", "file": file})
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_a_body_nested_5000_levels_deep_is_refused(world):
    body = "[" * 5000 + "]" * 5000
    for url, headers in (
        ("/api/value-events/", key()),
        ("/api/value-events/batch/", key()),
        ("/api/mes/", {}),
    ):
        response = client_for(world.admin).post(url, body, content_type="application/json", **headers)
        assert response.status_code == 400, (url, response.content)
        assert "nested" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/contracts/abc/approve/",
        "/api/contracts/abc/withdraw/",
        "/api/transactions/abc/reverse/",
        "/api/transactions/1.5/reverse/",
        "/api/transactions/99999999999999999999/reverse/",
        "/api/transactions/9999999999999999999/reverse/",
        "/api/imports/abc/post/",
        "/api/mes/abc/activate/",
        "/api/partners/-1/admit/",
    ],
)
def test_action_routes_with_ids_that_are_not_ids_answer_404(world, path):
    response = client_for(world.admin).post(path, {"reason": "x"}, format="json", **key())
    assert response.status_code == 404, response.content


def test_integers_past_64_bits_are_field_errors(world):
    partner = PartnerFactory()
    api = client_for(world.admin)
    for value in (10**20, 2**63, -1, "12", 1.5):
        response = api.patch(f"/api/partners/{partner.pk}/", {"revenue_baseline_minor": value}, format="json")
        assert response.status_code == 400, (value, response.content)
        assert "revenue_baseline_minor" in response.json()["errors"]
    assert Partner.objects.get(pk=partner.pk).revenue_baseline_minor == partner.revenue_baseline_minor
    body = {
        "emc": world.emc.code,
        "effective_from": "2025-01-01",
        "currency": "CNY",
        "period": "month",
        "platform_fee_pct": "5",
        "target_minor": 10**20,
        "base_rate_pct": "10",
        "node_shares": [{"me": world.lead_me.code, "share_pct": "100"}],
    }
    response = api.post("/api/contracts/", body, format="json", **key())
    assert response.status_code == 400 and "target_minor" in response.json()["errors"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_contract_dates_out_of_range_are_refused(world, day):
    body = {
        "emc": world.emc.code,
        "effective_from": day,
        "currency": "CNY",
        "period": "month",
        "platform_fee_pct": "5",
        "target_minor": 100000,
        "base_rate_pct": "10",
        "node_shares": [{"me": world.lead_me.code, "share_pct": "100"}],
    }
    before = Contract.objects.count()
    response = client_for(world.admin).post("/api/contracts/", body, format="json", **key())
    assert response.status_code == 400 and "effective_from" in response.json()["errors"]
    assert Contract.objects.count() == before


def test_a_100_kb_lifecycle_reason_is_refused(world):
    partner = PartnerFactory(state="applied")
    response = client_for(world.admin).post(
        f"/api/partners/{partner.pk}/admit/", {"reason": "x" * 100_000}, format="json"
    )
    assert response.status_code == 400 and "at most 2000" in response.json()["errors"]["reason"][0]
    assert not PartnerTransition.objects.filter(partner=partner, to_value="probation").exists()


def test_nul_bytes_in_addresses_and_lookups_are_refused(world):
    api = client_for(world.admin)
    assert api.get("/api/value-events/?me=a%00b").status_code == 400
    assert api.get("/api/balances/?account=a%00b").status_code == 400
    response = api.post(
        f"/api/emcs/{world.emc.pk}/partner-join/",
        "partner=a%00b",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400, response.content


def test_a_leader_cannot_empty_their_me(world):
    me = world.lead_me
    MembershipFactory(me=me, user=world.leader, weight=60)
    other = UserFactory()
    MembershipFactory(me=me, user=other, weight=40)
    api = client_for(world.leader)
    audit_before = AuditEntry.objects.count()
    for members in ([], [{"user": other.username, "weight": "100"}]):
        response = api.put(f"/api/mes/{me.pk}/members/", {"members": members}, format="json")
        assert response.status_code == 400, response.content
        assert "members" in response.json()["errors"]
    assert Membership.objects.filter(me=me, left_on__isnull=True).count() == 2
    assert AuditEntry.objects.count() == audit_before
    response = api.put(
        f"/api/mes/{me.pk}/members/",
        {"members": [{"user": world.leader.username, "weight": "100"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert list(Membership.objects.filter(me=me, left_on__isnull=True).values_list("user", flat=True)) == [
        world.leader.pk
    ]

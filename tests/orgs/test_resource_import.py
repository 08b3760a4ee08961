"""Partners' use of shared platform resources from a CSV: checked whole, all or nothing, each
error named by line and field, written in a fixed number of queries; the same rules as the form
and the API (a partner not taking part is refused on `partner`); admins only."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from orgs.models import AuditEntry, Partner, PlatformResource, ResourceUse
from orgs.services import resource_uses_import_csv
from orgs.services._common import today
from orgs.services.resource_import import ResourceImportRefused, resource_uses_sample
from tests.factories import PartnerFactory, UserFactory, reference

pytestmark = pytest.mark.django_db

HEADER = "partner,resource,started_on,ended_on,note\n"


@pytest.fixture
def world():
    reference(PlatformResource, "iot-cloud", name="IoT cloud")
    reference(PlatformResource, "design-lab", name="Design lab")
    PartnerFactory(code="acme", name="Acme")
    PartnerFactory(code="bolt", name="Bolt", state=Partner.State.ON_WATCH)
    PartnerFactory(code="gone", name="Gone", state=Partner.State.PHASED_OUT)
    PartnerFactory(code="new", name="Newcomer", state=Partner.State.APPLIED)


def _csv(lines):
    return HEADER + "".join(line + "\n" for line in lines)


def _spans():
    return sorted(
        ResourceUse.objects.values_list("partner__code", "resource__code", "started_on", "ended_on")
    )


def test_a_file_records_every_use_with_an_audit_row(admin, world):
    text = _csv(
        [
            "acme,iot-cloud,2025-01-01,2025-03-01,Pilot",
            "acme,iot-cloud,2025-03-01,,Renewed",  # starts the day the first ended (exclusive end)
            "bolt,design-lab,2025-02-10,,",
        ]
    )
    uses = resource_uses_import_csv(actor=admin, text=text, reason="Q1 usage report")
    assert len(uses) == 3
    assert _spans() == [
        ("acme", "iot-cloud", dt.date(2025, 1, 1), dt.date(2025, 3, 1)),
        ("acme", "iot-cloud", dt.date(2025, 3, 1), None),
        ("bolt", "design-lab", dt.date(2025, 2, 10), None),
    ]
    audit = AuditEntry.objects.filter(action="partner.resource_use_start", actor=admin)
    assert audit.count() == 3
    assert sorted(a.changes["started_on"] for a in audit) == ["2025-01-01", "2025-02-10", "2025-03-01"]
    assert {a.reason for a in audit} == {"Q1 usage report"}
    assert ResourceUse.objects.get(started_on=dt.date(2025, 1, 1)).created_by == admin


@pytest.mark.parametrize(
    ("line", "field", "text"),
    [
        ("gone,iot-cloud,2025-01-01,,", "partner", "Gone is phased out"),
        ("new,iot-cloud,2025-01-01,,", "partner", "Newcomer is applied"),
        ("ghost,iot-cloud,2025-01-01,,", "partner", "Unknown partner"),
        (",iot-cloud,2025-01-01,,", "partner", "Choose a partner"),
        ("acme,moon-base,2025-01-01,,", "resource", "Unknown platform resource"),
        ("acme,iot-cloud,01/02/2025,,", "started_on", "2025-01-31"),
        ("acme,iot-cloud,2999-01-01,,", "started_on", "future"),
        ("acme,iot-cloud,2025-02-01,2025-02-01,", "ended_on", "after the day it started"),
        ("acme,iot-cloud,2025-02-01,2999-01-01,", "ended_on", "future"),
        ("acme,iot-cloud,2025-02-01,soon,", "ended_on", "leave it empty"),
        ("acme,design-lab,2025-04-01,,", "started_on", "already recorded from 2025-03-01 (still open)"),
        ("acme,design-lab,2025-01-01,2025-03-02,", "started_on", "already recorded from 2025-03-01"),
    ],
)
def test_one_bad_line_refuses_the_whole_file_naming_line_and_field(admin, world, line, field, text):
    open_use = ResourceUse.objects.create(
        partner=Partner.objects.get(code="acme"),
        resource=PlatformResource.objects.get(code="design-lab"),
        started_on=dt.date(2025, 3, 1),
    )
    before = (_spans(), AuditEntry.objects.count())
    good = "bolt,iot-cloud,2025-01-01,,"
    with pytest.raises(ResourceImportRefused) as refused:
        resource_uses_import_csv(actor=admin, text=_csv([good, line]))
    errors = refused.value.line_errors
    assert list(errors) == [3]  # the header is line 1, the good line 2
    assert list(errors[3]) == [field]
    assert any(text in m for m in errors[3][field]), errors
    assert (_spans(), AuditEntry.objects.count()) == before  # nothing written, the good line neither
    assert ResourceUse.objects.get() == open_use


def test_lines_of_one_partner_and_resource_do_not_overlap_each_other(admin, world):
    text = _csv(
        [
            "acme,iot-cloud,2025-01-01,2025-03-01,",
            "acme,iot-cloud,2025-02-15,,",  # inside the first span
            "acme,design-lab,2025-02-15,,",  # another resource: fine
            "bolt,iot-cloud,2025-02-15,,",  # another partner: fine
        ]
    )
    with pytest.raises(ResourceImportRefused) as refused:
        resource_uses_import_csv(actor=admin, text=text)
    assert refused.value.line_errors == {
        3: {"started_on": ["This use overlaps the use of line 2 (same partner and resource)."]}
    }
    assert not ResourceUse.objects.exists()


def test_a_file_without_the_columns_or_lines_is_refused(admin, world):
    with pytest.raises(ResourceImportRefused) as refused:
        resource_uses_import_csv(actor=admin, text="partner,started_on\nacme,2025-01-01\n")
    assert refused.value.line_errors == {1: {"file": ["Missing columns: resource."]}}
    with pytest.raises(ResourceImportRefused) as refused:
        resource_uses_import_csv(actor=admin, text=HEADER)
    assert refused.value.line_errors == {1: {"file": ["The file has no lines after its header."]}}


def test_the_queries_do_not_grow_with_the_lines(admin, world):
    def queries(n: int) -> int:
        ResourceUse.objects.all().delete()
        lines = [
            f"acme,iot-cloud,2024-{1 + i // 28:02d}-{1 + i % 28:02d},2024-{1 + i // 28:02d}-{2 + i % 28:02d},"
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            assert len(resource_uses_import_csv(actor=admin, text=_csv(lines))) == n
        return len(ctx.captured_queries)

    queries(1)  # the content type of the audit rows, cached from then on
    assert queries(3) == queries(60)


def test_other_roles_are_refused(world):
    leader = UserFactory(roles=["me_leader"])
    with pytest.raises(Exception) as refused:
        resource_uses_import_csv(actor=leader, text=_csv(["acme,iot-cloud,2025-01-01,,"]))
    assert type(refused.value).__name__ == "PermissionDenied"
    assert not ResourceUse.objects.exists()


def test_the_upload_page_records_a_file_and_shows_refusals_by_line_and_field(client, admin, world):
    client.force_login(admin)
    url = "/partners/resources/import/"
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {"file": SimpleUploadedFile("u.csv", _csv(["gone,iot-cloud,2025-01-01,,"]).encode()), "reason": ""},
    )
    body = bad.content.decode()
    assert bad.status_code == 400 and "Line 2" in body and "<code>partner</code>" in body
    assert "Gone is phased out" in body and not ResourceUse.objects.exists()
    ok = client.post(
        url,
        {"file": SimpleUploadedFile("u.csv", _csv(["acme,iot-cloud,2025-01-01,,"]).encode()), "reason": ""},
    )
    assert ok.status_code == 302
    assert _spans() == [("acme", "iot-cloud", dt.date(2025, 1, 1), None)]
    client.force_login(UserFactory(roles=["me_leader"]))
    assert client.get(url).status_code == 403


def test_the_page_speaks_chinese(client, admin, world):
    client.force_login(admin)
    page = client.get("/partners/resources/import/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "导入资源使用" in page.content.decode()


def test_the_api_imports_for_admins_only_with_errors_by_line_and_field(admin, world):
    api = APIClient()
    url = "/api/resource-uses/import/"

    def upload(text):
        return api.post(url, {"file": SimpleUploadedFile("u.csv", text.encode())}, format="multipart")

    api.force_authenticate(UserFactory(roles=["me_leader"]))
    assert upload(_csv(["acme,iot-cloud,2025-01-01,,"])).status_code == 403
    api.force_authenticate(admin)
    bad = upload(_csv(["acme,iot-cloud,2025-01-01,,", "new,iot-cloud,2025-01-01,,"]))
    assert bad.status_code == 400
    assert list(bad.json()["errors"]["lines"]) == ["3"]
    assert list(bad.json()["errors"]["lines"]["3"]) == ["partner"]
    assert not ResourceUse.objects.exists()
    ok = upload(_csv(["acme,iot-cloud,2025-01-01,2025-02-01,", "bolt,design-lab,2025-01-05,,"]))
    assert ok.status_code == 201 and ok.json()["created"] == 2
    assert [(r["partner"], r["resource"], r["ended_on"]) for r in ok.json()["results"]] == [
        ("acme", "iot-cloud", "2025-02-01"),
        ("bolt", "design-lab", None),
    ]
    assert upload("").status_code == 400


def test_the_sample_moves_its_dates_to_yesterday_and_imports(admin):
    for code in ("amber-analytics", "atlas-telecom", "aurora-dryers", "beacon-iot"):
        PartnerFactory(code=code)
    reference(PlatformResource, "user-community", name="User community")
    text = resource_uses_sample(on=dt.date(2026, 6, 10))
    lines = text.splitlines()
    assert lines[0] == HEADER.strip()
    # written 2025-01-06 .. 2025-03-03, the latest moved to 2026-06-09: 463 days later
    assert lines[1].startswith("amber-analytics,user-community,2026-04-14,2026-05-26,")
    assert lines[4].startswith("beacon-iot,user-community,2026-06-09,,")
    assert len(resource_uses_import_csv(actor=admin, text=resource_uses_sample(on=today()))) == 4

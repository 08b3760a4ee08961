"""Finance pages, the CSV, the statement and the REST API: refusals are clear and change nothing."""

import csv
import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from ledger.models import Transaction
from payouts import exports, services
from payouts.band_labels import band_label
from payouts.models import PayoutLine, PayoutReport
from tests.factories import MembershipFactory, UserFactory
from tests.payouts.conftest import JUNE


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def report(world, pay):
    pay("8000.00", JUNE + dt.timedelta(days=2))
    [rid] = services.payout_night_compute(run_date=JUNE)
    return PayoutReport.objects.get(pk=rid)


def status(report):
    return PayoutReport.objects.get(pk=report.pk).status


def csv_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_finance_reads_the_report_with_totals_and_lines(report, finance, django_assert_max_num_queries):
    client = browser(finance)
    assert client.get(reverse("payouts:report-list")).status_code == 200
    with django_assert_max_num_queries(20):
        page = client.get(reverse("payouts:report-detail", args=[report.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    me_payable = sum(
        PayoutLine.objects.filter(report=report, kind="me").values_list("payable_minor", flat=True)
    )
    assert f'data-major="{me_payable // 100}.{me_payable % 100:02d}"' in body
    assert 'data-testid="action-submit"' in body


def test_the_csv_has_stable_columns_and_totals_equal_to_the_report(report, finance):
    rows = csv_of(browser(finance).get(reverse("payouts:report-export", args=[report.pk])))
    assert list(rows[0]) == exports.COLUMNS
    members = [r for r in rows if r["kind"] == "member"]
    assert sum(int(r["payable"].replace(".", "")) for r in members) == sum(
        PayoutLine.objects.filter(report=report, kind="member").values_list("payable_minor", flat=True)
    )
    assert {r["accounting_category"] for r in rows} >= {
        "incentive_payable",
        "member_incentive",
        "partner_share",
    }


def test_the_csv_neutralises_formula_text(world, pay, finance):
    MembershipFactory(me=world.lead_me, weight=10, user=UserFactory(username="=HYPERLINK(1)"))
    pay("100.00", JUNE)
    [rid] = services.payout_night_compute(run_date=JUNE)
    rows = csv_of(browser(finance).get(reverse("payouts:report-export", args=[rid])))
    assert "'=HYPERLINK(1)" in {r["username"] for r in rows}


def test_exporting_a_missing_report_is_404(finance, db):
    assert browser(finance).get(reverse("payouts:report-export", args=[999999])).status_code == 404
    assert api(finance).get("/api/payouts/reports/999999/export/").status_code == 404


def test_a_member_sees_only_their_own_statement(report, world):
    world.alice.groups.add(*UserFactory(roles=["me_member"]).groups.all())
    client = browser(world.alice)
    assert client.get(reverse("payouts:report-list")).status_code == 403
    assert client.get(reverse("payouts:report-detail", args=[report.pk])).status_code == 403
    page = client.get(reverse("payouts:statement"))
    assert page.status_code == 200
    alice_line = PayoutLine.objects.get(report=report, user=world.alice)
    assert page.content.decode().count('data-testid="member-line"') == 1
    data = api(world.alice).get("/api/payouts/statement/").json()
    assert [line["id"] for line in data["results"]] == [alice_line.pk]
    assert api(world.alice).get(f"/api/payouts/reports/{report.pk}/lines/").status_code == 403


def test_approving_ones_own_submission_is_refused_on_the_page_and_the_api(report, finance):
    client = browser(finance)
    assert client.post(reverse("payouts:report-submit", args=[report.pk])).status_code == 302
    page = client.post(reverse("payouts:report-approve", args=[report.pk]))
    assert page.status_code == 403
    assert "someone else in finance" in page.content.decode()
    assert api(finance).post(f"/api/payouts/reports/{report.pk}/approve/").status_code == 403
    assert status(report) == "submitted"


def test_api_lifecycle_refusals(report, finance, finance2, pay):
    assert api(finance).post(f"/api/payouts/reports/{report.pk}/submit/").status_code == 200
    pay("1.00", JUNE + dt.timedelta(days=3))  # the ledger moved: the report no longer reconciles
    refused = api(finance2).post(f"/api/payouts/reports/{report.pk}/approve/")
    assert refused.status_code == 409 and "reconcile" in refused.json()["detail"]
    check = api(finance2).get(f"/api/payouts/reports/{report.pk}/reconciliation/").json()
    assert check["ok"] is False and check["ledger_minor"] - check["report_minor"] == 100
    assert status(report) == "submitted"
    assert api(finance).post(f"/api/payouts/reports/{report.pk}/lock/").status_code == 409
    assert api(finance).post("/api/payouts/reports/999999/lock/").status_code == 404


def test_api_lock_twice_is_409(report, finance, finance2):
    api(finance).post(f"/api/payouts/reports/{report.pk}/submit/")
    assert api(finance2).post(f"/api/payouts/reports/{report.pk}/approve/").status_code == 200
    assert api(finance).post(f"/api/payouts/reports/{report.pk}/lock/").json()["status"] == "locked"
    again = api(finance).post(f"/api/payouts/reports/{report.pk}/lock/")
    assert again.status_code == 409 and "already locked" in again.json()["detail"]


def test_bad_filters_answer_400_not_500(report, finance):
    assert browser(finance).get(reverse("payouts:report-list"), {"status": "nope"}).status_code == 400
    assert (
        browser(finance).get(reverse("payouts:report-detail", args=[report.pk]), {"kind": "x"}).status_code
        == 400
    )
    assert api(finance).get("/api/payouts/reports/", {"status": "nope"}).status_code == 400


def test_the_reconciliation_page_shows_both_sides(report, finance):
    page = browser(finance).get(reverse("payouts:report-reconcile", args=[report.pk]))
    assert page.status_code == 200 and 'data-testid="reconcile-result">Reconciles' in page.content.decode()


def test_the_pages_speak_chinese(report, finance):
    client = browser(finance)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("payouts:report-detail", args=[report.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "提交审批" in body.content.decode()


def test_the_band_texts_speak_chinese(report, finance):
    tiers = set(PayoutLine.objects.filter(report=report).exclude(tier="").values_list("tier", flat=True))
    assert tiers, "the report has lines in a band"
    client = browser(finance)
    client.cookies["django_language"] = "zh-hans"
    with translation.override("en"):  # the request activates zh-hans: restore the language after it
        body = client.get(reverse("payouts:report-detail", args=[report.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = body.content.decode()
    with translation.override("zh-hans"):
        shown = {band_label(t) for t in tiers}
    assert all(label in text for label in shown)
    assert not any(re.search(rf">[^<]*\b{re.escape(t)}\b", text) for t in tiers)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("base", "基础"),
        ("under floor", "低于底线"),
        ("tier 120%", "档位 120%"),
        ("tier 7.5% (goal not met)", "档位 7.5%\uff08目标未达成\uff09"),
        ("something else", "something else"),
    ],
)
def test_a_band_label_reads_in_chinese(stored, shown):
    with translation.override("zh-hans"):
        assert band_label(stored) == shown


def test_a_locked_reports_csv_is_the_same_bytes_at_every_download(report, finance, finance2):
    services.payout_report_submit(actor=finance, report=report)
    services.payout_report_approve(actor=finance2, report=report)
    services.payout_report_lock(actor=finance, report=report)
    url = reverse("payouts:report-export", args=[report.pk])
    first = b"".join(browser(finance).get(url).streaming_content)
    second = b"".join(browser(finance2).get(url).streaming_content)
    assert first == second and first.count(b"\n") == PayoutLine.objects.filter(report=report).count() + 1


def test_a_person_recomputes_a_draft_audited_and_others_are_refused(report, finance, world):
    from orgs.audit import audit_for

    assert browser(finance).post(reverse("payouts:report-compute", args=[report.pk])).status_code == 302
    assert PayoutReport.objects.get(pk=report.pk).computations == 2
    assert "payouts.report_compute" in set(audit_for(report).values_list("action", flat=True))
    assert browser(world.alice).post(reverse("payouts:report-compute", args=[report.pk])).status_code == 403
    assert PayoutReport.objects.get(pk=report.pk).computations == 2


def test_list_queries_do_not_grow_with_rows(report, finance, world, pay):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(get):
        with CaptureQueriesContext(connection) as ctx:
            assert get().status_code == 200
        return len(ctx.captured_queries)

    pages = {
        "lines": lambda: api(finance).get(f"/api/payouts/reports/{report.pk}/lines/"),
        "reports": lambda: api(finance).get("/api/payouts/reports/"),
        "report list": lambda: browser(finance).get(reverse("payouts:report-list")),
        "report": lambda: browser(finance).get(reverse("payouts:report-detail", args=[report.pk])),
    }
    for get in pages.values():
        get()
    before = {name: count(get) for name, get in pages.items()}
    # more lines in the report (new members) and more reports (two more months)
    for weight in (5, 6, 7):
        MembershipFactory(me=world.node_me, weight=weight)
    services.payout_report_compute(report=report)
    for months in (1, 2):
        services.report_for(kind="month", on=JUNE - dt.timedelta(days=31 * months), currency="CNY")
    for get in pages.values():  # warm (per-process caches: content types, a role's first read)
        get()
    after = {name: count(get) for name, get in pages.items()}
    assert after == before


# --- review fixes: the period's end, payables undone only through the report, honest links -----


@pytest.fixture
def running(world, pay):
    """The draft of the month that is running today."""
    today = timezone.localdate()
    pay("10.00", today)
    [rid] = services.payout_night_compute(run_date=today)
    return PayoutReport.objects.get(pk=rid)


def test_a_report_of_a_period_not_over_is_neither_submitted_nor_locked(running, finance):
    day = (running.period.end + dt.timedelta(days=1)).isoformat()
    page = browser(finance).get(reverse("payouts:report-detail", args=[running.pk])).content.decode()
    assert 'data-testid="action-submit"' not in page and f"can be submitted and locked from {day}" in page
    refused = browser(finance).post(reverse("payouts:report-submit", args=[running.pk]))
    assert refused.status_code == 409 and f"from {day}" in refused.content.decode()
    refused = api(finance).post(f"/api/payouts/reports/{running.pk}/submit/")
    assert refused.status_code == 409 and f"from {day}" in refused.json()["detail"]
    assert status(running) == "draft"
    PayoutReport.objects.filter(pk=running.pk).update(status="approved")  # as if approved early
    refused = api(finance).post(f"/api/payouts/reports/{running.pk}/lock/")
    assert refused.status_code == 409 and f"from {day}" in refused.json()["detail"]
    running.refresh_from_db()
    assert running.status == "approved" and running.payables_transaction_id is None


def test_a_locked_reports_payables_are_not_reversed_in_the_ledger(report, finance, finance2):
    api(finance).post(f"/api/payouts/reports/{report.pk}/submit/")
    api(finance2).post(f"/api/payouts/reports/{report.pk}/approve/")
    api(finance).post(f"/api/payouts/reports/{report.pk}/lock/")
    txn = PayoutReport.objects.get(pk=report.pk).payables_transaction
    page = browser(finance2).get(reverse("ledger:transaction-detail", args=[txn.pk])).content.decode()
    assert reverse("ledger:transaction-reverse", args=[txn.pk]) not in page
    refused = api(finance2).post(
        f"/api/transactions/{txn.pk}/reverse/", {"reason": "review"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert refused.status_code == 409, refused.json()
    assert "through the payout report" in str(refused.json())
    refused = browser(finance2).post(
        reverse("ledger:transaction-reverse", args=[txn.pk]), {"reason": "r", "confirm": "on"}
    )
    assert refused.status_code == 409 and "through the payout report" in refused.content.decode()
    assert not Transaction.objects.filter(reverses=txn).exists()


def test_the_report_page_offers_only_what_answers(report, finance, finance2):
    admin = UserFactory(roles=["platform_admin"])
    detail = reverse("payouts:report-detail", args=[report.pk])
    assert browser(admin).get(detail).status_code == 200
    for who, allowed in ((admin, False), (finance, True)):
        page = browser(who).get(detail).content.decode()
        for link in ('data-testid="export-csv"', 'data-testid="export-xlsx"', 'data-testid="me-pdf"'):
            assert (link in page) is allowed, (who, link)
    assert browser(admin).get(reverse("payouts:report-export", args=[report.pk])).status_code == 403
    browser(finance).post(reverse("payouts:report-submit", args=[report.pk]))
    own = browser(finance).get(detail).content.decode()
    assert 'data-testid="action-approve"' not in own and "someone else in finance approves it" in own
    other = browser(finance2).get(detail).content.decode()
    assert 'data-testid="action-approve"' in other


@pytest.mark.parametrize("name", ["emc", "me"])
def test_a_line_filter_past_the_id_range_is_a_400(report, finance, name):
    answer = api(finance).get(f"/api/payouts/reports/{report.pk}/lines/", {name: "99999999999999999999"})
    assert answer.status_code == 400 and name in answer.json()["errors"]
    assert api(finance).get(f"/api/payouts/reports/{report.pk}/lines/", {name: "7"}).status_code == 200

"""XLSX and PDF exports: the CSV's rows, byte-identical downloads of a locked report, formula
text neutralised, and refusals (a missing report 404, someone else's statement 403)."""

import datetime as dt
import io
import time
import zipfile
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from payouts import exports, services
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
    # 8,000.00: fee 400.00, partner 600.00, remainder 7,000.00: lead ME 60% 4,200.00, the other
    # node 40% 2,800.00; all in the base band (10%): 420.00 and 280.00; Alice 60 / Bob 40 of the
    # lead ME's 420.00: 252.00 and 168.00
    pay("8000.00", JUNE + dt.timedelta(days=2))
    [rid] = services.payout_night_compute(run_date=JUNE)
    return PayoutReport.objects.get(pk=rid)


@pytest.fixture
def locked(report, finance, finance2):
    services.payout_report_submit(actor=finance, report=report)
    services.payout_report_approve(actor=finance2, report=report)
    return services.payout_report_lock(actor=finance, report=report)


def sheet(content: bytes) -> list[dict]:
    ws = load_workbook(io.BytesIO(content), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_the_xlsx_has_the_csvs_columns_and_numbers(report, finance, world):
    response = browser(finance).get(reverse("payouts:report-export-xlsx", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX
    rows = sheet(response.content)
    assert list(rows[0]) == exports.COLUMNS
    by_user = {r["username"]: r for r in rows if r["kind"] == "member"}
    assert by_user[world.alice.username]["payable"] == Decimal("252.00")
    assert by_user[world.bob.username]["payable"] == Decimal("168.00")
    me = {r["me_code"]: r for r in rows if r["kind"] == "me"}
    assert me[world.lead_me.code]["accrued"] == Decimal("420.00")
    assert sum(r["payable"] for r in rows if r["kind"] == "me") == Decimal("700.00")
    assert len(rows) == PayoutLine.objects.filter(report=report).count()


def test_the_xlsx_neutralises_formula_text(world, pay, finance):
    MembershipFactory(me=world.lead_me, weight=10, user=UserFactory(username="=HYPERLINK(1)"))
    pay("100.00", JUNE)
    [rid] = services.payout_night_compute(run_date=JUNE)
    rows = sheet(browser(finance).get(reverse("payouts:report-export-xlsx", args=[rid])).content)
    assert "'=HYPERLINK(1)" in {r["username"] for r in rows}
    # no cell of the workbook is a formula
    ws = load_workbook(io.BytesIO(exports.report_xlsx(PayoutReport.objects.get(pk=rid)))).active
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_a_locked_reports_xlsx_and_pdfs_are_the_same_bytes_at_every_download(
    locked, finance, finance2, world
):
    urls = [
        reverse("payouts:report-export-xlsx", args=[locked.pk]),
        reverse("payouts:statement-me-pdf", args=[locked.pk, world.lead_me.pk]),
        reverse("payouts:statement-member-pdf", args=[locked.pk, world.alice.pk]),
    ]
    for url in urls:
        first = browser(finance).get(url)
        time.sleep(1.1)  # a second later: a download time in the file would show
        second = browser(finance2).get(url)
        assert first.status_code == second.status_code == 200
        assert first.content == second.content, url
    # the workbook says it was made at the lock time, and so does every zip member's date
    content = browser(finance).get(urls[0]).content
    wb = load_workbook(io.BytesIO(content), read_only=True)
    locked_at = locked.locked_at.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    assert wb.properties.created == locked_at and wb.properties.modified == locked_at
    dates = {info.date_time for info in zipfile.ZipFile(io.BytesIO(content)).infolist()}
    even = locked_at.replace(second=locked_at.second // 2 * 2)  # a zip keeps even seconds
    assert dates == {even.timetuple()[:6]}
    pdf = browser(finance).get(urls[1]).content
    assert pdf.startswith(b"%PDF") and locked_at.strftime("D:%Y%m%d%H%M%S").encode() in pdf


def test_a_member_downloads_only_their_own_pdf(report, world):
    alice = browser(world.alice)
    own = alice.get(reverse("payouts:statement-member-pdf", args=[report.pk, world.alice.pk]))
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    assert (
        alice.get(reverse("payouts:statement-member-pdf", args=[report.pk, world.bob.pk])).status_code == 403
    )
    assert (
        alice.get(reverse("payouts:statement-me-pdf", args=[report.pk, world.lead_me.pk])).status_code == 403
    )
    assert alice.get(reverse("payouts:report-export-xlsx", args=[report.pk])).status_code == 403
    assert api(world.alice).get(f"/api/payouts/statement/{report.pk}.pdf").status_code == 200
    assert api(world.alice).get(f"/api/payouts/reports/{report.pk}/export-xlsx/").status_code == 403
    assert (
        api(world.alice)
        .get(f"/api/payouts/reports/{report.pk}/statements/member/{world.bob.pk}/")
        .status_code
        == 403
    )


def test_the_me_leader_downloads_their_mes_pdf(report, world):
    leader = browser(world.lead_me.leader)
    assert (
        leader.get(reverse("payouts:statement-me-pdf", args=[report.pk, world.lead_me.pk])).status_code == 200
    )


def test_missing_reports_and_statements_are_404_never_500(report, finance, world):
    client = browser(finance)
    assert client.get(reverse("payouts:report-export-xlsx", args=[999999])).status_code == 404
    assert client.get(reverse("payouts:statement-me-pdf", args=[999999, world.lead_me.pk])).status_code == 404
    assert client.get(reverse("payouts:statement-me-pdf", args=[report.pk, 999999])).status_code == 404
    stranger = UserFactory(roles=["me_member"])
    assert (
        client.get(reverse("payouts:statement-member-pdf", args=[report.pk, stranger.pk])).status_code == 404
    )
    assert api(finance).get("/api/payouts/reports/999999/export-xlsx/").status_code == 404
    assert api(finance).get(f"/api/payouts/reports/{report.pk}/statements/me/999999/").status_code == 404
    assert api(stranger).get(f"/api/payouts/statement/{report.pk}.pdf").status_code == 404
    assert api(stranger).get("/api/payouts/statement/999999.pdf").status_code == 404


def test_the_api_exports_xlsx_and_statements(report, finance, world):
    client = api(finance)
    xlsx = client.get(f"/api/payouts/reports/{report.pk}/export-xlsx/")
    assert (
        xlsx.status_code == 200
        and len(sheet(xlsx.content)) == PayoutLine.objects.filter(report=report).count()
    )
    me = client.get(f"/api/payouts/reports/{report.pk}/statements/me/{world.lead_me.pk}/")
    member = client.get(f"/api/payouts/reports/{report.pk}/statements/member/{world.bob.pk}/")
    assert me.status_code == member.status_code == 200
    assert me.content.startswith(b"%PDF") and member.content.startswith(b"%PDF")


def test_the_pdf_and_page_speak_chinese(report, finance, world):
    from django.utils import translation

    client = browser(finance)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("payouts:report-detail", args=[report.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "下载 XLSX" in page.content.decode()
    with translation.override("zh-hans"):
        lines = exports.statement_lines(report, me_id=world.lead_me.pk)
        assert "链群价值" in " ".join(exports._explained(lines[0]))
        pdf = exports.statement_pdf(report, lines, title="小微结算单")
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf


def test_downloads_keep_a_pinned_number_of_queries(report, finance, world, django_assert_num_queries):
    client = browser(finance)
    client.get(reverse("payouts:report-export-xlsx", args=[report.pk]))  # warm the session
    # session, user, the user's roles, the report, the lines (one streamed read however many)
    with django_assert_num_queries(5):
        client.get(reverse("payouts:report-export-xlsx", args=[report.pk]))
    # session, user, roles, the report, the ME, its lines
    with django_assert_num_queries(6):
        client.get(reverse("payouts:statement-me-pdf", args=[report.pk, world.lead_me.pk]))

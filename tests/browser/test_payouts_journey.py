"""Finance opens last night's payout report, approves it and downloads the CSV and the XLSX,
whose totals are the page's; a second finance user locks it; a member sees only their own
statement, downloads its PDF and raises an inquiry that finance resolves (real Chromium)."""

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from openpyxl import load_workbook

from payouts import services
from payouts.models import PayoutLine, PayoutReport
from tests.factories import UserFactory
from tests.payouts.conftest import JUNE, payer, payout_world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _named(user, username: str, *roles: str):
    user.username = username
    user.save()
    if roles:
        user.groups.add(*UserFactory(roles=list(roles)).groups.all())
    return user


def test_finance_approves_exports_and_locks_and_a_member_sees_only_their_line(page, login):
    # the live server shares this process's content-type cache; an earlier transactional test's
    # flush may have given the content types new ids (the audit rows name them)
    ContentType.objects.clear_cache()
    world = payout_world_build()
    pay = payer(world)
    pay("8000.00", JUNE + dt.timedelta(days=2))
    pay("4000.00", JUNE + dt.timedelta(days=9))  # the EMC crosses its target
    services.payout_night_compute(run_date=JUNE + dt.timedelta(days=9))
    report = PayoutReport.objects.get()
    sam = UserFactory(username="sam", roles=["finance"])
    services.payout_report_submit(actor=sam, report=report)
    UserFactory(username="fiona", roles=["finance"])
    UserFactory(username="gina", roles=["finance"])
    alice = _named(world.alice, "alice", "me_member")
    _named(world.bob, "bob", "me_member")

    login("fiona")
    page.click("text=Payouts")
    page.click("[data-testid=report-link]")
    assert "Payout report" in page.text_content("[data-testid=page-title]")
    page.click("[data-testid=action-approve]")
    assert page.text_content("[data-testid=report-status]").strip() == "Approved"
    shown = Decimal(page.get_attribute("[data-testid=total-member-payable]", "data-major"))
    shown_value = Decimal(page.get_attribute("[data-testid=total-emc-value]", "data-major"))
    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert sum(Decimal(r["payable"]) for r in rows if r["kind"] == "member") == shown > 0
    assert sum(Decimal(r["value"]) for r in rows if r["kind"] == "emc") == shown_value == Decimal("12000.00")
    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    content = io.BytesIO(Path(download.value.path()).read_bytes())  # the saved file has no suffix
    sheet = list(load_workbook(content, read_only=True).active.iter_rows(values_only=True))
    xlsx = [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]]
    assert sum(r["payable"] for r in xlsx if r["kind"] == "member") == shown

    page.context.clear_cookies()
    login("gina")
    page.goto(f"/payouts/reports/{report.pk}/")
    page.click("[data-testid=action-lock]")
    assert page.text_content("[data-testid=report-status]").strip() == "Locked"
    report.refresh_from_db()
    assert report.status == "locked" and report.payables_transaction_id

    page.context.clear_cookies()
    login("alice")
    page.click("text=Payouts")
    assert page.text_content("[data-testid=page-title]") == "My payout statement"
    lines = page.locator("[data-testid=member-line]")
    assert lines.count() == 1
    own = PayoutLine.objects.get(user=alice)
    assert f"{own.payable_minor / 100:,.2f}" in page.text_content("[data-testid=member-payable]")
    with page.expect_download() as download:
        page.click("[data-testid=member-pdf]")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.fill("[data-testid=inquiry-text]", "Why is my share 60%?")
    page.click("[data-testid=inquiry-raise]")
    assert page.text_content("[data-testid=inquiry-status]").strip() == "Open"
    inquiry_url = page.url
    page.goto(f"/payouts/reports/{report.pk}/")
    assert page.locator("[data-testid=lines]").count() == 0  # refused: not finance

    page.context.clear_cookies()
    login("fiona")
    page.goto(f"/payouts/reports/{report.pk}/")
    page.click("[data-testid=inquiry-link]")
    assert page.url == inquiry_url
    assert "Why is my share 60%?" in page.text_content("[data-testid=thread]")
    page.fill("#id_reason", "Your weight is 60 of 100 for the whole month.")
    page.click("[data-testid=resolve]")
    assert page.text_content("[data-testid=inquiry-status]").strip() == "Resolved"
    assert "60 of 100" in page.text_content("[data-testid=resolution]")

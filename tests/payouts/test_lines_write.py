"""The report's lines written by COPY on PostgreSQL (`compute.lines_replace`) hold exactly what
the ORM's bulk_create writes: every field of every line, over COPY's row threshold."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict

from ledger import bulk
from ledger.bulk import insert_rows
from orgs.models import Membership
from payouts import services
from payouts.models import PayoutLine
from payouts.services import compute
from tests.payouts.conftest import JUNE

pytestmark = pytest.mark.postgres


def lines_of(report) -> dict:
    return {
        line.key: {k: v for k, v in model_to_dict(line).items() if k != "id"}
        for line in PayoutLine.objects.filter(report=report)
    }


def test_lines_by_copy_equal_the_orms(world, pay, monkeypatch):
    User = get_user_model()
    users = User.objects.bulk_create(User(username=f"member-{i}") for i in range(bulk.COPY_MIN_ROWS))
    Membership.objects.bulk_create(
        Membership(me=world.lead_me, user=u, weight=Decimal(1 + i % 7), joined_on=JUNE)
        for i, u in enumerate(users)
    )
    pay("20000.00", JUNE + dt.timedelta(days=4))
    pay("1234.57", JUNE + dt.timedelta(days=9))
    report = services.report_for(kind="month", on=JUNE, currency="CNY")
    with monkeypatch.context() as orm:
        orm.setattr(compute.bulk, "is_postgres", lambda: False)
        services.payout_report_compute(report=report)
    copied = []
    with monkeypatch.context() as spy:
        spy.setattr(
            compute.bulk,
            "insert_rows",
            lambda table, cols, rows: copied.append(len(rows)) or insert_rows(table, cols, rows),
        )
        services.payout_report_compute(report=report)  # deletes the ORM's lines, COPYs its own
    assert copied and copied[0] > bulk.COPY_MIN_ROWS
    by_copy = lines_of(report)
    with monkeypatch.context() as orm:
        orm.setattr(compute.bulk, "is_postgres", lambda: False)
        services.payout_report_compute(report=report)
    by_orm = lines_of(report)
    assert len(by_copy) > bulk.COPY_MIN_ROWS
    assert by_copy == by_orm  # the previous payables too: each run read the one before
    emc_line = by_copy[f"emc:{world.emc.pk}"]
    assert emc_line["rate_pct"] is not None and emc_line["explanation"]["target_minor"] == 1_000_000

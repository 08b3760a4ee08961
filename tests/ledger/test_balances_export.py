"""Balances can be exported: every account with its balance as of a date, in major units with
the currency, as the owner sees it (what the page shows); finance, auditors and admins only."""

import csv
import io

import pytest
from django.utils import timezone

from ledger import services
from tests.factories import UserFactory
from tests.ledger.factories import world_build

pytestmark = pytest.mark.django_db


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _paid_world():
    world = world_build()
    services.value_event_log(
        actor=world.leader,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        category=world.category,
        user_ref="user-0001",
        amount="100.00",
        currency="CNY",
        occurred_at=timezone.now(),
    )
    return world


def test_finance_exports_the_balances_as_the_page_shows_them(client):
    world = _paid_world()
    client.force_login(UserFactory(roles=["finance"]))
    page = client.get("/ledger/")
    shown = {r["account"].code: r["balance_minor"] for r in page.context["rows"]}
    response = client.get("/ledger/balances.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    assert rows and {r["currency"] for r in rows} == {"CNY"}
    from ledger.money import format_minor

    for row in rows:
        if row["account_code"] in shown:
            assert row["balance"] == format_minor(shown[row["account_code"]], "CNY")
    me_row = next(r for r in rows if r["kind"] == "me" and world.lead_me.code in r["account_code"])
    assert float(me_row["balance"]) > 0  # what the ME is owed: positive, in yuan


def test_the_export_follows_the_filters(client):
    _paid_world()
    client.force_login(UserFactory(roles=["auditor"]))
    rows = _rows(client.get("/ledger/balances.csv?kind=me"))
    assert rows and {r["kind"] for r in rows} == {"me"}
    # a bad filter value falls back to every account instead of failing
    assert client.get("/ledger/balances.csv?as_of=2026-13-40").status_code == 200


@pytest.mark.parametrize("role", ["me_leader", "me_member", "partner"])
def test_other_roles_may_not_export_the_balances(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get("/ledger/balances.csv").status_code == 403

"""The Win-Win Value-Added Statement, worked by hand on tests/judging/conftest.py's
`statement_world_build` (every figure below is in its comment)."""

import datetime as dt

import pytest
from django.urls import reverse

from judging.periods import period_parse
from judging.statement import statement
from ledger import services as ledger_services
from tests.factories import UserFactory
from tests.scoring.conftest import run_night


def _me(stated, me=None):
    return statement(scope="me", subject=me or stated.world.lead_me, period=period_parse(stated.period))


def test_the_statement_of_an_me_for_a_month(stated):
    cny = _me(stated)["currencies"]["CNY"]
    # revenue: 1000 + 200 + 50 - 20 refunded; core 1030, ecosystem (non-core) 200
    assert cny["revenue"]["total"] == "1230.00"
    assert (cny["revenue"]["core"], cny["revenue"]["ecosystem"]) == ("1030.00", "200.00")
    # costs: P 7.5% of a1; the fee 5% of each payment less the refunded part (50 + 10 + 2.50 - 1.00)
    assert cny["costs"]["partner_shares"] == "75.00"
    assert cny["costs"]["platform_fee"] == "61.50"
    assert cny["costs"]["own"] == {
        "total": "400.00",
        "by_category": {
            "materials": "100.00",
            "labour": "300.00",
            "services": "0.00",
            "overhead": "0.00",
            "other": "0.00",
        },
    }
    # marginal income: 1230 - 75 - 61.50 = 1093.50; less own costs 400 = 693.50
    assert cny["marginal_income"] == {"contribution": "1093.50", "after_own_costs": "693.50"}
    # sharing (posting keeps no holdback: the holdback is the payout's, docs/payouts.md): the
    # remainders 875 + 190 + 47.50 - 19 split 60/40: L 525 + 114 + 28.50 - 11.40 = 656.10;
    # N 350 + 76 + 19 - 7.60 = 437.40
    sharing = cny["sharing"]
    assert [(m["code"], m["amount"]) for m in sharing["mes"]] == sorted(
        [(stated.world.lead_me.code, "656.10"), (stated.world.node_me.code, "437.40")]
    )
    assert [(p["code"], p["amount"]) for p in sharing["partners"]] == [(stated.world.partner.code, "75.00")]
    assert (sharing["platform"], sharing["holdback"], sharing["total"]) == ("61.50", "0.00", "1230.00")
    # Amoeba: 1093.50 less every own cost but labour (100) = 993.50, over 40 hours = 24.8375
    assert cny["amoeba"] == {"value_added": "993.50", "hours": "40.00", "per_hour": "24.84"}


def test_without_costs_or_hours_the_statement_says_no_data(stated):
    data = _me(stated, stated.world.node_me)
    cny = data["currencies"]["CNY"]
    # N logged b1 only: 300.00, fee 15.00, the remainder 285.00 to L 171.00 and N 114.00
    assert cny["revenue"]["total"] == "300.00"
    assert cny["costs"]["own"] is None and cny["marginal_income"]["after_own_costs"] is None
    assert cny["amoeba"] == {"value_added": None, "hours": None, "per_hour": None}
    assert data["users"] is None  # no night ran


def test_the_page_shows_no_data_instead_of_a_zero(client, stated):
    client.force_login(stated.world.admin)
    page = client.get(
        reverse("judging:statement", args=["me", stated.world.node_me.code]), {"period": stated.period}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "No data: no costs logged for this period." in html and "No data: no hours logged" in html


def test_the_statement_reconciles_to_the_ledger_even_after_a_reversal(stated):
    w = stated.world
    ledger_services.transaction_reverse(
        actor=w.admin, txn=stated.events["a2"].transaction, reason="logged twice", effective_on=stated.day
    )
    rec = _me(stated)["currencies"]["CNY"]["reconciliation"]
    # 1230.00 less a2's 200.00; the legs credited to the parties sum to it to the minor unit
    assert (rec["events"], rec["ledger_revenue"], rec["credited"]) == ("1030.00", "1030.00", "1030.00")
    assert rec["events_match"] and rec["balanced"]
    emc = statement(scope="emc", subject=w.emc, period=period_parse(stated.period))["currencies"]["CNY"]
    # the EMC: L's 1030.00 and N's 300.00
    assert emc["reconciliation"]["events"] == emc["revenue"]["total"] == emc["sharing"]["total"] == "1330.00"


def test_the_loyalty_classes_come_from_the_night(stated, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    run_night(stated.day)
    data = _me(stated)
    by_class = data["currencies"]["CNY"]["revenue"]["by_class"]
    # u-1 co-created (one signal: interactive) and paid a1 + a3 - refund; u-2 only paid a2
    assert by_class["interactive"] == {"core": "1030.00", "ecosystem": "0.00", "total": "1030.00"}
    assert by_class["transactional"] == {"core": "0.00", "ecosystem": "200.00", "total": "200.00"}
    assert by_class["lifelong"]["total"] == "0.00"
    users = data["users"]
    assert (users["transactional"], users["interactive"], users["lifelong"], users["total"]) == (1, 1, 0, 2)
    assert users["as_of"] == stated.day.isoformat()


def test_a_period_that_has_not_started_is_refused(client, stated):
    client.force_login(stated.world.admin)
    future = dt.date.today().replace(day=1) + dt.timedelta(days=40)
    code = f"{future:%Y-%m}"
    page = client.get(reverse("judging:statement", args=["me", stated.world.lead_me.code]), {"period": code})
    assert page.status_code == 400 and "has not started yet" in page.content.decode()
    api = client.get(
        reverse("api-judging-statement", args=["me", stated.world.lead_me.code]), {"period": code}
    )
    assert api.status_code == 400 and "period" in api.json()["errors"]
    bad = client.get(
        reverse("api-judging-statement", args=["me", stated.world.lead_me.code]), {"period": "2026-13"}
    )
    assert bad.status_code == 400


def test_every_line_drills_down_to_its_legs(client, stated):
    w = stated.world
    client.force_login(w.admin)
    url = reverse("judging:statement-lines", args=["me", w.lead_me.code])
    fee = client.get(url, {"period": stated.period, "line": "platform", "currency": "CNY"})
    # the fee legs of a1, a2, a3 and the refund of a3: -50.00, -10.00, -2.50, +1.00
    assert sorted(leg.amount_minor for leg in fee.context["page"]) == [-5000, -1000, -250, 100]
    eco = client.get(url, {"period": stated.period, "line": "revenue", "core": "0"})
    assert [leg.amount_minor for leg in eco.context["page"]] == [20000]
    mine = client.get(url, {"period": stated.period, "line": "me", "owner": w.node_me.code})
    assert sum(leg.amount_minor for leg in mine.context["page"]) == -43740  # N's 437.40 above
    costs = client.get(
        reverse("judging:statement-entries", args=["me", w.lead_me.code]), {"period": stated.period}
    )
    assert sorted(e.amount_minor for e in costs.context["page"]) == [10000, 30000]


def test_the_page_for_one_me_and_a_month_keeps_a_pinned_query_count(
    client, stated, django_assert_num_queries
):
    w = stated.world
    client.force_login(w.admin)
    url = reverse("judging:statement", args=["me", w.lead_me.code])
    client.get(url, {"period": stated.period})  # warm the session and content types
    # session, user, the ME, the user's roles, seven for the statement (the scope's transactions,
    # party legs, revenue legs, value events, costs, hours, user classes), the menu's "log value"
    # check, the latest run
    with django_assert_num_queries(PINNED):
        assert client.get(url, {"period": stated.period}).status_code == 200
    # more events do not add queries
    ledger_services.value_event_log(
        actor=None,
        me=w.lead_me,
        emc=w.emc,
        scenario=w.scenario,
        category=w.category,
        user_ref="u-0007",
        amount="5.00",
        currency="CNY",
        occurred_at=stated.events["a1"].occurred_at,
    )
    with django_assert_num_queries(PINNED):
        client.get(url, {"period": stated.period})


PINNED = 13


@pytest.mark.parametrize("role", ["me_leader", "me_member"])
def test_a_leader_or_member_sees_only_their_own_me(client, stated, role):
    w = stated.world
    if role == "me_leader":
        user = w.leader
    else:
        from orgs.models import Membership

        user = UserFactory(roles=["me_member"])
        Membership.objects.create(me=w.lead_me, user=user, weight=1, joined_on=dt.date(2024, 1, 1))
    client.force_login(user)
    own = reverse("judging:statement", args=["me", w.lead_me.code])
    assert client.get(own, {"period": stated.period}).status_code == 200
    assert client.get(reverse("judging:statement", args=["me", w.node_me.code])).status_code == 404
    assert client.get(reverse("judging:statement", args=["emc", w.emc.code])).status_code == 404
    assert client.get(reverse("api-judging-statement", args=["me", w.node_me.code])).status_code == 404
    home = client.get(reverse("judging:statement-home"))
    assert [me.code for me in home.context["page"]] == [w.lead_me.code]


def test_a_partner_user_sees_no_statement(client, stated):
    from orgs.models import PartnerUser

    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=stated.world.partner)
    client.force_login(user)
    assert client.get(reverse("judging:statement-home")).status_code == 403
    assert client.get(reverse("judging:statement", args=["me", stated.world.lead_me.code])).status_code == 404
    assert (
        client.get(reverse("api-judging-statement", args=["emc", stated.world.emc.code])).status_code == 403
    )
    assert client.get(reverse("api-judging-cost-entry-list")).status_code == 403


def test_the_api_statement_and_csv(client, stated):
    w = stated.world
    client.force_login(w.admin)
    api = client.get(reverse("api-judging-statement", args=["emc", w.emc.code]), {"period": stated.period})
    assert api.status_code == 200
    # the EMC: 1230.00 at L and 300.00 at N; costs of its node MEs (L's)
    assert api.json()["currencies"]["CNY"]["revenue"]["total"] == "1530.00"
    assert api.json()["currencies"]["CNY"]["costs"]["own"]["total"] == "400.00"
    csv = client.get(
        reverse("judging:statement", args=["me", w.node_me.code]), {"period": stated.period, "format": "csv"}
    )
    lines = csv.content.decode().splitlines()
    assert f"me,{w.node_me.code},{stated.period},CNY,costs,own,no data" in lines


def test_the_statement_speaks_chinese(client, stated):
    client.force_login(stated.world.admin)
    page = client.get(
        reverse("judging:statement", args=["me", stated.world.node_me.code]),
        {"period": stated.period},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    html = page.content.decode()
    assert "共赢增值表" in html and "本期间未记录成本" in html and "阿米巴视角" in html


def test_totals_are_per_currency_never_converted(stated):
    from judging import entries

    entries.cost_entries_post(
        specs=[
            entries.CostSpec(
                me=stated.world.lead_me.code,
                period=stated.period,
                category="services",
                amount="7",
                currency="EUR",
            )
        ],
        actor=None,
        source="job",
    )
    data = _me(stated)
    eur, cny = data["currencies"]["EUR"], data["currencies"]["CNY"]
    # the EUR cost stands alone: no revenue in EUR, and the CNY figures are as before
    assert eur["costs"]["own"]["total"] == "7.00" and eur["revenue"]["total"] == "0.00"
    assert eur["marginal_income"]["after_own_costs"] == "-7.00"
    assert cny["costs"]["own"]["total"] == "400.00" and cny["marginal_income"]["after_own_costs"] == "693.50"


def test_the_statement_api_keeps_a_pinned_query_count(client, stated, django_assert_num_queries):
    w = stated.world
    client.force_login(w.admin)
    url = reverse("api-judging-statement", args=["me", w.lead_me.code])
    client.get(url, {"period": stated.period})
    # session, user, the user's roles, the ME, seven for the statement
    with django_assert_num_queries(11):
        assert client.get(url, {"period": stated.period}).status_code == 200


def test_the_page_offers_the_month_before_and_the_quarter_and_year(client, stated):
    client.force_login(stated.world.admin)
    page = client.get(
        reverse("judging:statement", args=["me", stated.world.lead_me.code]), {"period": stated.period}
    )
    D = stated.day
    before = D.replace(day=1) - dt.timedelta(days=1)
    assert page.context["nearby"] == [
        f"{before:%Y-%m}",
        stated.period,
        f"{D.year}-Q{(D.month - 1) // 3 + 1}",
        f"{D.year}",
    ]

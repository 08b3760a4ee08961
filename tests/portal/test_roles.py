"""Role-aware pages: the menu offers only what the role may open, and the dashboard shows each
role its own work first."""

import re

import pytest

from ledger.models import ImportBatch
from orgs.models import Partner, PartnerUser
from portal.menu import MENU
from tests.factories import MicroenterpriseFactory, PartnerFactory, UserFactory
from tests.ledger.factories import world_build

pytestmark = pytest.mark.django_db

ALL_ENTRIES = {e.key for e in MENU}

# what each role finds in the menu (everything else is absent)
COMPANY = {
    "dashboard", "mes", "emcs", "network", "catalog", "partners", "ledger", "scoring", "runs",
    "scorecards", "payouts", "api", "statements", "orders",
}  # fmt: skip
EXPECTED = {
    "platform_admin": ALL_ENTRIES - {"admin", "mine"},  # "mine" is a partner user's own page
    "finance": COMPANY | {"audit"},
    "auditor": COMPANY | {"audit", "proposals"},
    "me_leader": COMPANY | {"log-value"},
    "me_member": COMPANY,
    # not linked to a partner yet: no page of its own, but the orders it may bid on once linked
    "partner": {"dashboard", "api", "orders"},
    None: {"dashboard", "api"},
}


def _menu_keys(response) -> set[str]:
    html = response.content.decode()
    nav = html[
        html.index('data-testid="main-menu"') : html.index(
            '<div class="d-flex align-items-center gap-2 ms-auto">'
        )
    ]
    groups = {"organization", "partners-menu", "scoring-menu", "orders-menu"}
    return set(re.findall(r'data-testid="menu-([\w-]+)"', nav)) - groups


@pytest.mark.parametrize("role", list(EXPECTED))
def test_the_menu_offers_what_the_role_may_open_and_each_entry_opens(client, role):
    user = UserFactory(roles=[role] if role else [])
    MicroenterpriseFactory(leader=user if role == "me_leader" else None)
    client.force_login(user)
    keys = _menu_keys(client.get("/"))
    assert keys == EXPECTED[role]
    # every entry shown opens (no 403 behind a menu entry)
    for entry in MENU:
        if entry.key in keys:
            assert client.get(entry.url(user)).status_code == 200, entry.key


def test_a_leader_who_leads_no_live_me_is_not_offered_the_log_form(client):
    client.force_login(UserFactory(roles=["me_leader"]))
    assert "log-value" not in _menu_keys(client.get("/"))
    assert client.get("/ledger/log/").status_code == 403


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("partner", "/mes/"),
        ("partner", "/ledger/"),
        ("partner", "/scoring/"),
        ("me_member", "/ledger/log/"),
        ("me_member", "/audit/"),
        ("me_leader", "/audit/"),
        ("finance", "/ledger/log/"),
        (None, "/partners/"),
    ],
)
def test_pages_left_out_of_a_menu_refuse_the_role(client, role, url):
    client.force_login(UserFactory(roles=[role] if role else []))
    assert client.get(url).status_code == 403


def test_the_organization_group_is_left_out_when_empty(client):
    client.force_login(UserFactory(roles=["partner"]))
    assert 'data-testid="menu-organization"' not in client.get("/").content.decode()


def _panels(response) -> list[str]:
    return re.findall(r'data-testid="panel-([\w-]+)"', response.content.decode())


def test_a_leader_sees_log_user_value_and_own_progress_first(client):
    world = world_build()
    client.force_login(world.leader)
    response = client.get("/")
    assert _panels(response) == ["leader", "member", "overview"]
    html = response.content.decode()
    assert 'data-testid="dashboard-log-value"' in html
    progress = response.context["panel"]["leader"]["led"][0]["progress"][0]
    assert progress["contract"] == world.contract
    assert f'data-testid="progress-{world.lead_me.code}-{world.emc.code}"' in html


def test_a_leader_sees_the_value_logged_against_the_target_in_major_units(client):
    from django.utils import timezone

    from ledger import services

    world = world_build()
    services.value_event_log(
        actor=world.leader,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        category=world.category,
        user_ref="user-0001",
        amount="250.00",
        currency="CNY",
        occurred_at=timezone.now(),
    )
    client.force_login(world.leader)
    html = client.get("/").content.decode()
    block = html.split(f'data-testid="progress-{world.lead_me.code}-{world.emc.code}">')[1].split("</span>")[
        0
    ]
    assert "250.00" in block and "CN¥" in block


def test_a_member_sees_own_figures_and_no_log_button(client):
    world = world_build()
    member = UserFactory(roles=["me_member"])
    world.node_me.memberships.create(user=member, weight=100, joined_on=world.emc.formed_on)
    client.force_login(member)
    response = client.get("/")
    assert _panels(response) == ["member", "overview"]
    assert f'data-testid="member-card-{world.node_me.code}"' in response.content.decode()
    assert 'data-testid="dashboard-log-value"' not in response.content.decode()


def test_finance_sees_balances_and_what_awaits_review_first(client):
    client.force_login(UserFactory(roles=["finance"]))
    response = client.get("/")
    assert _panels(response) == ["finance", "overview"]
    assert 'data-testid="finance-balances"' in response.content.decode()


def test_finance_is_shown_only_imports_that_await_posting(client):
    waiting, failed = (
        ImportBatch.objects.create(kind="events", filename=f"{status}.csv", status=status)
        for status in (ImportBatch.Status.VALIDATED, ImportBatch.Status.FAILED)
    )
    client.force_login(UserFactory(roles=["finance"]))
    html = client.get("/").content.decode()
    assert f"Import #{waiting.pk}:" in html and f"Import #{failed.pk}:" not in html


def test_an_admin_sees_applications_and_proposals_first(client):
    PartnerFactory(state=Partner.State.APPLIED, name="Eager Applicant")
    PartnerFactory(state=Partner.State.ACTIVE)
    client.force_login(UserFactory(roles=["platform_admin"]))
    response = client.get("/")
    assert _panels(response)[0] == "admin"
    assert response.context["panel"]["admin"]["applications_count"] == 1
    assert "Eager Applicant" in response.content.decode()


def test_a_partner_user_sees_its_own_state_and_nothing_of_the_organization(client):
    own = PartnerFactory(state=Partner.State.PROBATION, name="Own Firm")
    PartnerFactory(name="Someone Else")
    MicroenterpriseFactory()
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=own)
    client.force_login(user)
    response = client.get("/")
    assert _panels(response) == ["partner"]
    html = response.content.decode()
    assert "Own Firm" in html and "Probation" in html
    assert "Someone Else" not in html and "daily-value-data" not in html
    # linked: its own page is offered, and the orders (only an active partner may bid)
    assert _menu_keys(response) == {"dashboard", "mine", "api", "orders"}
    assert client.get("/judging/mine/").status_code == 200


def test_a_user_without_a_role_is_told_so(client):
    client.force_login(UserFactory(roles=[]))
    response = client.get("/")
    assert _panels(response) == []
    assert 'data-testid="no-role"' in response.content.decode()


@pytest.mark.parametrize(("role", "queries"), [("me_leader", 5), ("partner", 4), ("finance", 3)])
def test_the_menu_costs_a_fixed_number_of_queries(role, queries, django_assert_num_queries):
    # given many MEs: the menu reads the roles, Django's own permissions (ModelBackend: the
    # user's and the groups', once, cached) and, for those who may log value, whether they
    # lead a live ME; for a leader, whether it leads an EMC's lead ME (who may put orders out);
    # for a partner user, its partner link (cached on the user for the request)
    user = UserFactory(roles=[role])
    for _ in range(5):
        MicroenterpriseFactory(leader=user)
    from django.contrib.auth import get_user_model

    from portal.menu import menu_for

    fresh = get_user_model().objects.get(pk=user.pk)
    with django_assert_num_queries(queries):
        menu_for(fresh)


def test_the_panels_speak_chinese(client):
    client.force_login(UserFactory(roles=["finance"]))
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待审核" in html and "夜间运行" in html and "评分" in html


def test_one_date_format_per_language(client):
    import datetime as dt

    from django import forms

    from orgs.forms import DateInput

    PartnerFactory(state=Partner.State.APPLIED, name="Dated Firm", applied_on=dt.date(2026, 3, 1))
    client.force_login(UserFactory(roles=["platform_admin"]))
    assert "applied 2026-03-01" in client.get("/").content.decode()
    assert "2026年3月1日" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # a date input keeps the ISO value <input type="date"> needs, in both languages
    from django.utils import translation

    field = forms.DateField(widget=DateInput)
    with translation.override("zh-hans"):
        assert 'value="2026-03-01"' in field.widget.render("on", dt.date(2026, 3, 1))

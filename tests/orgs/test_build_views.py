"""Building the organization in the web UI: admins create and edit MEs, EMCs (with node MEs and
shares), scenarios and categories through the services; refusals come back by field and write
nothing; every change leaves its audit row; other roles are refused."""

import datetime as dt

import pytest
from django.utils import timezone

from orgs import models as org
from orgs.models import EMC, AuditEntry, Category, EMCNode, Microenterprise, Scenario
from tests.factories import MicroenterpriseFactory, ScenarioFactory, UserFactory, reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def node_kind():
    return reference(org.MEKind, "node", name="Node")


def test_an_admin_creates_an_me_with_its_audit_row(client, admin, node_kind):
    leader = UserFactory(username="lin")
    client.force_login(admin)
    response = client.post(
        "/mes/new/",
        {"code": "drying", "name": "Drying ME", "kind": "node", "leader": "lin", "reason": "New line"},
    )
    me = Microenterprise.objects.get(code="drying")
    assert response.status_code == 302 and response["Location"] == "/mes/drying/"
    assert me.leader == leader and me.status == Microenterprise.Status.INCUBATING
    entry = AuditEntry.objects.get(action="me.create", object_id=str(me.pk))
    assert entry.actor == admin and entry.reason == "New line"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "taken"}, "code", "already exists"),
        ({"code": "not a slug"}, "code", "letters"),
        ({"founded_on": "2026-13-40"}, "founded_on", "date"),
        ({"founded_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}, "founded_on", "future"),
        ({"founded_on": "2100-01-01"}, "founded_on", "2099-12-31"),
        ({"kind": "nope"}, "kind", "valid choice"),
        ({"leader": "nobody"}, "leader", "valid choice"),
        ({"name": "  "}, "name", "required"),
    ],
)
def test_a_bad_me_is_refused_by_field_and_nothing_is_written(client, admin, node_kind, data, field, message):
    MicroenterpriseFactory(code="taken")
    client.force_login(admin)
    before = (Microenterprise.objects.count(), AuditEntry.objects.count())
    response = client.post("/mes/new/", {"code": "fresh", "name": "Fresh", "kind": "node"} | data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message.lower() in " ".join(errors[field]).lower()
    assert (Microenterprise.objects.count(), AuditEntry.objects.count()) == before


def test_an_admin_edits_an_me_and_the_change_is_audited(client, admin, node_kind):
    me = MicroenterpriseFactory(code="oven", name="Oven")
    client.force_login(admin)
    response = client.post(f"/mes/{me.code}/edit/", {"name": "Smart oven", "kind": "node", "leader": ""})
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.name == "Smart oven"
    entry = AuditEntry.objects.get(action="me.update", object_id=str(me.pk))
    assert entry.changes["name"] == ["Oven", "Smart oven"]


def _emc_post(lead, node, scenario, **extra):
    data = {
        "code": "balcony",
        "name": "Smart balcony",
        "kind": "experience",
        "lead_me": lead.code,
        "scenarios": [scenario.code],
        "nodes-TOTAL_FORMS": "2",
        "nodes-INITIAL_FORMS": "0",
        "nodes-0-me": lead.code,
        "nodes-0-share_weight": "60",
        "nodes-0-obligations": "Run the scenario",
        "nodes-1-me": node.code,
        "nodes-1-share_weight": "40",
        "nodes-1-obligations": "Deliver dryers",
    }
    return data | extra


def test_an_admin_creates_an_emc_with_two_node_mes_and_a_scenario(client, admin):
    lead, node, scenario = MicroenterpriseFactory(), MicroenterpriseFactory(), ScenarioFactory()
    client.force_login(admin)
    response = client.post("/emcs/new/", _emc_post(lead, node, scenario))
    assert response.status_code == 302
    emc = EMC.objects.get(code="balcony")
    assert list(emc.scenarios.all()) == [scenario]
    shares = dict(EMCNode.objects.filter(emc=emc).values_list("me__code", "share_weight"))
    assert shares == {lead.code: 60, node.code: 40}
    assert AuditEntry.objects.filter(action="emc.create", object_id=str(emc.pk), actor=admin).exists()


def test_shares_that_miss_100_are_refused_and_no_emc_is_made(client, admin):
    lead, node, scenario = MicroenterpriseFactory(), MicroenterpriseFactory(), ScenarioFactory()
    client.force_login(admin)
    response = client.post("/emcs/new/", _emc_post(lead, node, scenario, **{"nodes-1-share_weight": "30"}))
    assert response.status_code == 400
    assert 'data-testid="error-nodes"' in response.content.decode()
    assert not EMC.objects.filter(code="balcony").exists()
    assert not AuditEntry.objects.filter(action="emc.create").exists()


def test_an_emc_without_node_rows_seats_its_lead_me_alone(client, admin):
    lead, scenario = MicroenterpriseFactory(), ScenarioFactory()
    client.force_login(admin)
    data = _emc_post(lead, lead, scenario)
    for key in ["nodes-0-me", "nodes-0-share_weight", "nodes-1-me", "nodes-1-share_weight"]:
        data[key] = ""
    assert client.post("/emcs/new/", data).status_code == 302
    assert list(EMCNode.objects.values_list("me__code", "share_weight")) == [(lead.code, 100)]


def test_an_admin_edits_an_emc_scenarios(client, admin):
    lead, node, first, second = (
        MicroenterpriseFactory(),
        MicroenterpriseFactory(),
        ScenarioFactory(),
        ScenarioFactory(),
    )
    client.force_login(admin)
    client.post("/emcs/new/", _emc_post(lead, node, first))
    response = client.post(
        "/emcs/balcony/edit/", {"name": "Smart balcony", "lead_me": lead.code, "scenarios": [second.code]}
    )
    assert response.status_code == 302
    assert list(EMC.objects.get(code="balcony").scenarios.all()) == [second]
    entry = AuditEntry.objects.get(action="emc.update")
    assert entry.changes["scenarios"] == [[first.code], [second.code]]


def test_an_admin_creates_a_scenario_and_returns_to_the_emc_form(client, admin):
    client.force_login(admin)
    response = client.post(
        "/catalog/scenarios/new/", {"code": "laundry", "name": "Laundry", "next": "/emcs/new/"}
    )
    assert response.status_code == 302 and response["Location"] == "/emcs/new/"
    scenario = Scenario.objects.get(code="laundry")
    assert AuditEntry.objects.filter(action="scenario.create", object_id=str(scenario.pk)).exists()
    # another host is never a place to return to
    response = client.post(
        "/catalog/scenarios/new/", {"code": "kitchen", "name": "Kitchen", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/catalog/"


def test_a_category_with_an_unknown_industry_is_refused_by_field(client, admin):
    client.force_login(admin)
    response = client.post(
        "/catalog/categories/new/", {"code": "dryers", "name": "Dryers", "industry": "ZZ99"}
    )
    assert response.status_code == 400
    assert "industry" in response.context["form"].errors
    assert not Category.objects.filter(code="dryers").exists()
    response = client.post("/catalog/categories/new/", {"code": "dryers", "name": "Dryers", "is_core": "on"})
    assert response.status_code == 302 and Category.objects.get(code="dryers").is_core


def test_the_catalog_lists_scenarios_for_everyone_of_the_company(client):
    ScenarioFactory(name="Balcony life")
    client.force_login(UserFactory(roles=["me_member"]))
    response = client.get("/catalog/")
    assert response.status_code == 200 and "Balcony life" in response.content.decode()
    assert 'data-testid="new-scenario"' not in response.content.decode()


@pytest.mark.parametrize("role", ["me_leader", "me_member", "finance", "auditor", "partner", None])
@pytest.mark.parametrize(
    "url", ["/mes/new/", "/emcs/new/", "/catalog/scenarios/new/", "/catalog/categories/new/"]
)
def test_other_roles_may_not_build_the_organization(client, role, url):
    client.force_login(UserFactory(roles=[role] if role else []))
    assert client.get(url).status_code == 403
    assert client.post(url, {"code": "x-1", "name": "X"}).status_code == 403
    assert not AuditEntry.objects.exists()


def test_other_roles_may_not_edit(client, node_kind):
    me = MicroenterpriseFactory()
    client.force_login(UserFactory(roles=["me_leader"]))
    assert client.post(f"/mes/{me.code}/edit/", {"name": "Mine", "kind": "node"}).status_code == 403


# --- ME merge, partners, certifications, solutions ------------------------------------------


def _me_with_member(code, username, node_kind):
    from orgs.models import Membership

    me = MicroenterpriseFactory(code=code, kind=node_kind)
    Membership.objects.create(me=me, user=UserFactory(username=username), weight=100, joined_on=me.founded_on)
    return me


def test_a_merge_asks_a_reason_and_a_confirmation_then_merges(client, admin, node_kind):
    first, second = _me_with_member("wash", "wu", node_kind), _me_with_member("dry", "du", node_kind)
    client.force_login(admin)
    assert 'data-testid="merge-warning"' in client.get("/mes/wash/merge/").content.decode()
    data = {
        "others": "dry",
        "code": "laundry",
        "name": "Laundry ME",
        "kind": "node",
        "reason": "One scenario",
    }
    response = client.post("/mes/wash/merge/", data)  # no confirmation
    assert response.status_code == 400 and "confirm" in response.context["form"].errors
    response = client.post("/mes/wash/merge/", data | {"reason": "", "confirm": "on"})
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    assert not Microenterprise.objects.filter(code="laundry").exists()
    response = client.post("/mes/wash/merge/", data | {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/mes/laundry/"
    merged = Microenterprise.objects.get(code="laundry")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Microenterprise.Status.MERGED
    members = dict(merged.memberships.filter(left_on__isnull=True).values_list("user__username", "weight"))
    assert members == {"wu": 50, "du": 50}
    assert AuditEntry.objects.filter(action="me.merge", actor=admin).exists()


def test_a_merge_with_an_unknown_me_is_refused_by_field(client, admin, node_kind):
    _me_with_member("wash", "wu", node_kind)
    client.force_login(admin)
    response = client.post(
        "/mes/wash/merge/", {"others": "nope", "code": "x-1", "name": "X", "reason": "r", "confirm": "on"}
    )
    assert response.status_code == 400 and "nope" in " ".join(response.context["form"].errors["others"])


def test_an_admin_registers_a_partner_and_certifies_it(client, admin):
    from orgs.models import Partner, PlatformStandard

    client.force_login(admin)
    response = client.post(
        "/partners/new/",
        {
            "code": "aurora",
            "name": "Aurora",
            "roles": ["technology"],
            "industries": "2750",
            "tier": "registered",
        },
    )
    assert response.status_code == 302
    partner = Partner.objects.get(code="aurora")
    assert partner.state == Partner.State.APPLIED and list(
        partner.industries.values_list("code", flat=True)
    ) == ["2750"]
    standard = reference(PlatformStandard, "iso-9001", name="ISO 9001")
    bad = client.post(
        "/partners/aurora/certify/",
        {"standard": standard.code, "certified_on": "2026-05-01", "expires_on": "2026-04-01"},
    )
    assert bad.status_code == 400 and "expires_on" in bad.context["form"].errors
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = client.post(
        "/partners/aurora/certify/", {"standard": standard.code, "certified_on": tomorrow.isoformat()}
    )
    assert future.status_code == 400 and "future" in " ".join(future.context["form"].errors["certified_on"])
    assert partner.certifications.count() == 0
    ok = client.post("/partners/aurora/certify/", {"standard": standard.code, "certified_on": "2026-05-01"})
    assert ok.status_code == 302 and partner.certifications.count() == 1
    assert AuditEntry.objects.filter(action="partner.certify").count() == 1


def test_an_admin_creates_a_solution_and_adds_a_version(client, admin):
    from tests.factories import CategoryFactory

    ScenarioFactory(code="balcony")
    CategoryFactory(code="dryers")
    me = MicroenterpriseFactory()
    client.force_login(admin)
    data = {"scenario": "balcony", "code": "dry-kit", "name": "Drying kit", "categories": ["dryers"]}
    response = client.post("/catalog/solutions/new/", data)  # no provider
    assert response.status_code == 400 and "provider_mes" in response.context["form"].errors
    response = client.post(
        "/catalog/solutions/new/", data | {"provider_mes": me.code, "first_version_on": "2026-01-10"}
    )
    assert response.status_code == 302
    solution = org.Solution.objects.get(code="dry-kit")
    assert list(solution.provider_mes.all()) == [me] and solution.versions.count() == 1
    older = client.post("/catalog/solutions/dry-kit/versions/new/", {"released_on": "2025-12-01"})
    assert older.status_code == 400 and "released_on" in older.context["form"].errors
    assert (
        client.post("/catalog/solutions/dry-kit/versions/new/", {"released_on": "2026-03-01"}).status_code
        == 302
    )
    assert list(solution.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert "Drying kit" in client.get("/catalog/").content.decode()


@pytest.mark.parametrize("role", ["me_leader", "finance", "partner"])
@pytest.mark.parametrize(
    "url", ["/partners/new/", "/catalog/solutions/new/", "/mes/{me}/merge/", "/partners/{partner}/certify/"]
)
def test_other_roles_may_not_merge_register_certify_or_add_solutions(client, role, url):
    from tests.factories import PartnerFactory

    me, partner = MicroenterpriseFactory(), PartnerFactory()
    client.force_login(UserFactory(roles=[role]))
    target = url.format(me=me.code, partner=partner.code)
    assert client.get(target).status_code == 403
    assert client.post(target, {"code": "x-1", "name": "X", "confirm": "on"}).status_code == 403


def _emc_to_split():
    from tests.factories import EMCFactory

    lead, node = MicroenterpriseFactory(code="lead-me"), MicroenterpriseFactory(code="node-me")
    emc = EMCFactory(code="home", lead_me=lead)
    EMCNode.objects.create(emc=emc, me=lead, share_weight=50, joined_on=emc.formed_on)
    EMCNode.objects.create(emc=emc, me=node, share_weight=50, joined_on=emc.formed_on)
    return emc


def test_an_admin_splits_an_emc_after_a_confirmation(client, admin):
    emc = _emc_to_split()
    client.force_login(admin)
    assert 'data-testid="split-warning"' in client.get("/emcs/home/split/").content.decode()
    data = {
        "child1_code": "home-a",
        "child1_lead_me": "lead-me",
        "child2_code": "home-b",
        "child2_lead_me": "node-me",
        "child2_nodes": "node-me:70 lead-me:30",
        "reason": "Two user segments",
    }
    assert client.post("/emcs/home/split/", data).status_code == 400  # not confirmed
    bad = client.post("/emcs/home/split/", data | {"child2_nodes": "node-me:70 lead-me:20", "confirm": "on"})
    assert bad.status_code == 400 and not EMC.objects.filter(code="home-a").exists()
    response = client.post("/emcs/home/split/", data | {"confirm": "on"})
    assert response.status_code == 302
    emc.refresh_from_db()
    assert emc.status == EMC.Status.SPLIT
    shares = dict(EMCNode.objects.filter(emc__code="home-b").values_list("me__code", "share_weight"))
    assert shares == {"node-me": 70, "lead-me": 30}
    assert list(EMCNode.objects.filter(emc__code="home-a").values_list("share_weight", flat=True)) == [100]
    assert AuditEntry.objects.filter(action="emc.split", actor=admin).exists()


@pytest.mark.parametrize("share", ["99999999999999999999999999999", "1e400", "1e2"])
def test_a_node_share_that_is_not_a_weight_is_a_field_error_and_nothing_splits(client, admin, share):
    emc = _emc_to_split()
    client.force_login(admin)
    data = {
        "child1_code": "home-a",
        "child1_lead_me": "lead-me",
        "child1_nodes": f"lead-me:{share}",
        "child2_code": "home-b",
        "child2_lead_me": "node-me",
        "child2_nodes": "node-me:50 lead-me:50",
        "reason": "Two user segments",
        "confirm": "on",
    }
    response = client.post("/emcs/home/split/", data)
    assert response.status_code == 400
    assert response.context["form"].errors
    emc.refresh_from_db()
    assert emc.status == EMC.Status.ACTIVE and not EMC.objects.filter(code="home-a").exists()


def test_a_badly_written_node_list_is_refused_by_field(client, admin):
    _emc_to_split()
    client.force_login(admin)
    response = client.post(
        "/emcs/home/split/",
        {
            "child1_code": "home-a",
            "child1_lead_me": "lead-me",
            "child2_code": "home-b",
            "child2_lead_me": "node-me",
            "child2_nodes": "node-me=70",
            "reason": "r",
            "confirm": "on",
        },
    )
    assert response.status_code == 400 and "child2_nodes" in response.context["form"].errors


@pytest.mark.parametrize("role", ["me_leader", "finance", "auditor"])
def test_other_roles_may_not_split(client, role):
    _emc_to_split()
    client.force_login(UserFactory(roles=[role]))
    assert client.get("/emcs/home/split/").status_code == 403


def test_the_pickers_offer_no_partner_finance_or_auditor_user(client, admin, node_kind):
    for name, role in (("firm", "partner"), ("cash", "finance"), ("check", "auditor"), ("lin", "me_member")):
        UserFactory(username=name, roles=[role])
    me = MicroenterpriseFactory(code="drying", leader=admin)
    client.force_login(admin)
    for url in ("/mes/new/", f"/mes/{me.code}/members/"):
        html = client.get(url).content.decode()
        assert 'value="lin"' in html, url
        assert not any(f'value="{n}"' in html for n in ("firm", "cash", "check")), url
    response = client.post("/mes/new/", {"code": "fresh", "name": "Fresh", "kind": "node", "leader": "firm"})
    assert response.status_code == 400 and "leader" in response.context["form"].errors
    assert not Microenterprise.objects.filter(code="fresh").exists()

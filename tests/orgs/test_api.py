"""The REST API: actions, one error body for bad input, permissions, constant query counts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from orgs import services
from orgs.models import AuditEntry, EMCParticipation, Membership, Partner, PartnerProposal, PartnerTier
from tests.factories import (
    EMCFactory,
    EMCNodeFactory,
    EMCParticipationFactory,
    MicroenterpriseFactory,
    PartnerFactory,
    PartnerProposalFactory,
    SolutionFactory,
    UserFactory,
    me_with_members,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def admin_api(api, admin):
    return api(admin)


def test_phase_out_action_ends_participation_and_shows_in_the_timeline(admin_api):
    partner = PartnerFactory(state="active")
    EMCParticipationFactory(partner=partner)
    response = admin_api.post(
        f"/api/partners/{partner.pk}/phase-out/",
        {"reason": "users wanted better solutions", "effective_on": "2025-02-01"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "phased_out" and body["allowed_actions"] == ["reapply"]
    assert body["transitions"][0]["reason"] == "users wanted better solutions"
    assert body["participations"][0]["ended_on"] == "2025-02-01"


def test_missing_reason_is_a_400_naming_the_field_and_writes_nothing(admin_api):
    partner = PartnerFactory(state="active")
    response = admin_api.post(f"/api/partners/{partner.pk}/watch/", {"reason": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid" and "reason" in body["errors"]
    assert Partner.objects.get(pk=partner.pk).state == "active"
    assert not AuditEntry.objects.exists()


def test_illegal_transition_is_a_409_naming_the_states(admin_api):
    partner = PartnerFactory(state="applied")
    response = admin_api.post(f"/api/partners/{partner.pk}/watch/", {"reason": "x"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "Applied" in body["detail"] and "On watch" in body["detail"]


def test_change_tier_and_proposal_accept_dismiss(admin_api):
    partner = PartnerFactory(state="active")
    response = admin_api.post(
        f"/api/partners/{partner.pk}/change-tier/", {"tier": "gold", "reason": "top brand"}, format="json"
    )
    assert response.status_code == 200 and response.json()["tier"] == "gold"
    created = admin_api.post(
        "/api/proposals/",
        {"partner": partner.pk, "to_state": "on_watch", "reason": "ratings", "evidence": {"rating": 2.5}},
        format="json",
    )
    again = admin_api.post(
        "/api/proposals/", {"partner": partner.pk, "to_state": "on_watch", "reason": "ratings"}, format="json"
    )
    assert (created.status_code, again.status_code) == (201, 200)
    assert created.json()["id"] == again.json()["id"]
    accepted = admin_api.post(f"/api/proposals/{created.json()['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Partner.objects.get(pk=partner.pk).state == "on_watch"
    other = PartnerProposalFactory(partner=partner, to_state="phased_out")
    refused = admin_api.post(f"/api/proposals/{other.pk}/dismiss/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    assert (
        admin_api.post(f"/api/proposals/{other.pk}/dismiss/", {"reason": "noise"}, format="json").status_code
        == 200
    )


def test_duplicate_codes_are_409(admin_api):
    MicroenterpriseFactory(code="taken")
    response = admin_api.post("/api/mes/", {"code": "taken", "name": "X", "kind": "node"}, format="json")
    assert response.status_code == 409 and "code" in response.json()["errors"]


def test_weights_not_summing_to_100_are_400(admin_api):
    me, (a, b) = me_with_members(50, 50)
    response = admin_api.put(
        f"/api/mes/{me.pk}/members/",
        {"members": [{"user": a.username, "weight": "70"}, {"user": b.username, "weight": "-10"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "negative" in response.json()["errors"]["members"][0]
    assert Membership.objects.filter(me=me, left_on__isnull=True).count() == 2


def test_split_leaving_members_unassigned_is_400_naming_them(admin_api):
    me, (a, b) = me_with_members(50, 50)
    response = admin_api.post(
        f"/api/mes/{me.pk}/split/",
        {
            "reason": "segment",
            "children": [
                {"code": "one", "members": [{"user": a.username, "weight": "100"}]},
                {"code": "two"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert b.username in response.json()["errors"]["members"][0]


def test_emc_lifecycle_over_the_api(admin_api):
    lead, other = MicroenterpriseFactory(), MicroenterpriseFactory()
    partner = PartnerFactory(state="active")
    created = admin_api.post(
        "/api/emcs/",
        {"code": "balcony", "name": "Smart balcony", "kind": "experience", "lead_me": lead.code},
        format="json",
    )
    assert created.status_code == 201, created.content
    emc_id = created.json()["id"]
    nodes = admin_api.put(
        f"/api/emcs/{emc_id}/nodes/",
        {
            "nodes": [
                {"me": lead.code, "share_weight": "60"},
                {"me": other.code, "share_weight": "40", "obligations": "install"},
            ]
        },
        format="json",
    )
    assert nodes.status_code == 200 and len(nodes.json()["nodes"]) == 2
    joined = admin_api.post(f"/api/emcs/{emc_id}/partner-join/", {"partner": partner.code}, format="json")
    assert joined.status_code == 201
    assert (
        admin_api.post(
            f"/api/emcs/{emc_id}/partner-join/", {"partner": partner.code}, format="json"
        ).status_code
        == 409
    )
    disband = admin_api.post(f"/api/emcs/{emc_id}/disband/", {"reason": "done"}, format="json")
    assert disband.status_code == 200 and disband.json()["status"] == "disbanded"
    assert EMCParticipation.objects.get().ended_on is not None


def test_readers_cannot_write_and_leaders_manage_only_their_own_me(api):
    auditor = UserFactory(roles=["auditor"])
    partner = PartnerFactory(state="active")
    assert api(auditor).get(f"/api/partners/{partner.pk}/").status_code == 200
    assert (
        api(auditor).post(f"/api/partners/{partner.pk}/watch/", {"reason": "x"}, format="json").status_code
        == 403
    )
    leader = UserFactory(roles=["me_leader"])
    own, (a,) = me_with_members(100, leader=leader)
    other, (b,) = me_with_members(100)
    body = {"members": [{"user": a.username, "weight": "60"}, {"user": leader.username, "weight": "40"}]}
    assert api(leader).put(f"/api/mes/{own.pk}/members/", body, format="json").status_code == 200
    assert (
        api(leader)
        .put(
            f"/api/mes/{other.pk}/members/",
            {"members": [{"user": b.username, "weight": "100"}]},
            format="json",
        )
        .status_code
        == 403
    )
    assert api(leader).post(f"/api/mes/{own.pk}/dissolve/", {"reason": "x"}, format="json").status_code == 403
    assert api(UserFactory()).get("/api/partners/").status_code == 403  # no role, no read
    assert api(UserFactory(roles=["me_member"])).get("/api/audit/").status_code == 403


def _grow(n):
    """Add n rows to every list: partners with roles, EMCs with nodes and partners, MEs with
    members, proposals, solutions with versions, and the audit rows the services write."""
    from orgs import services
    from orgs.models import Category, PartnerTier

    gold = PartnerTier.objects.get(code="gold")
    for i in range(n):
        partner = PartnerFactory()
        emc = EMCFactory()
        EMCNodeFactory(emc=emc, me=emc.lead_me)
        EMCParticipationFactory(emc=emc, partner=partner)
        PartnerProposalFactory(partner=partner)
        me_with_members(50, 50)
        services.partner_tier_change(partner=partner, tier=gold, actor=None, reason="grow")
        category = Category.objects.create(code=f"grow-{n}-{i}", name="c")
        solution = SolutionFactory()
        solution.categories.add(category)
        solution.provider_partners.add(partner)


@pytest.mark.parametrize(
    "url", ["/api/partners/", "/api/mes/", "/api/emcs/", "/api/audit/", "/api/proposals/", "/api/solutions/"]
)
def test_list_endpoints_keep_a_constant_query_count(api, admin, url, django_assert_num_queries):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    User = get_user_model()

    _grow(3)
    with CaptureQueriesContext(connection) as small:
        response = api(User.objects.get(pk=admin.pk)).get(url)
    assert response.status_code == 200 and response.json()["count"] >= 3
    _grow(27)
    with django_assert_num_queries(len(small.captured_queries)):
        response = api(User.objects.get(pk=admin.pk)).get(url)
    assert response.json()["count"] >= 30


def test_network_json_is_limited_and_filterable(admin_api):
    emcs = [EMCFactory() for _ in range(3)]
    for emc in emcs:
        EMCNodeFactory(emc=emc, me=emc.lead_me)
        EMCParticipationFactory(emc=emc)
    body = admin_api.get("/api/network/", {"emc": emcs[0].code}).json()
    assert body["emc_shown"] == 1
    types = sorted(n["data"]["type"] for n in body["nodes"])
    assert types == ["emc", "me", "partner"] and len(body["edges"]) == 2
    assert admin_api.get("/api/network/", {"limit": 2}).json()["emc_shown"] == 2


def test_partner_directory_filters(admin_api):
    from orgs.models import Industry, PartnerRole

    dryer = PartnerFactory(name="Dryer King", state="active", roles=[PartnerRole.objects.get(code="design")])
    dryer.industries.add(Industry.objects.get(code="2750"))
    PartnerFactory(name="Logi", state="on_watch")
    emc = EMCFactory(code="balcony")
    EMCParticipationFactory(emc=emc, partner=dryer)
    for query, expected in [
        ({"industry": "C"}, ["Dryer King"]),
        ({"industry": "27"}, ["Dryer King"]),
        ({"state": "on_watch"}, ["Logi"]),
        ({"role": "design"}, ["Dryer King"]),
        ({"emc": "balcony"}, ["Dryer King"]),
        ({"q": "logi"}, ["Logi"]),
    ]:
        names = [p["name"] for p in admin_api.get("/api/partners/", query).json()["results"]]
        assert names == expected, query
    _ = dt, PartnerProposal


def test_a_unique_key_lost_to_a_concurrent_write_is_a_409_not_a_500(admin_api, monkeypatch):
    """The service checked the code was free, then another request took it before the insert."""
    from orgs.services import partners as partner_services

    PartnerFactory(code="taken")
    real_filter = partner_services.Partner.objects.filter

    def blind_filter(*args, **kwargs):  # the check sees nothing, as in a race
        if kwargs.get("code") == "taken":
            return real_filter(pk=-1)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(partner_services.Partner.objects, "filter", blind_filter)
    before = Partner.objects.count()
    response = admin_api.post(
        "/api/partners/",
        {"code": "taken", "name": "Twin", "roles": ["product-service"], "tier": "registered"},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "conflict"
    assert Partner.objects.count() == before


@pytest.mark.parametrize(
    "query, status, size",
    [
        ({"page_size": "2"}, 200, 2),
        ({"page_size": "9" * 5000}, 200, 3),  # past int()'s digit limit: the largest page, not a 500
        ({"page_size": "0"}, 400, None),
        ({"page_size": "x"}, 400, None),
        ({"page_size": ""}, 400, None),
        ({"page": ""}, 400, None),
        ({"page": "9" * 5000}, 404, None),
    ],
)
def test_pagination_refuses_what_is_not_a_page_and_caps_its_size(admin_api, query, status, size):
    for _ in range(3):
        PartnerFactory()
    response = admin_api.get("/api/partners/", query)
    assert response.status_code == status, response.content[:300]
    if size is not None:
        assert len(response.json()["results"]) == size
    elif status == 400:
        assert set(response.json()["errors"]) == {next(iter(query))}


@pytest.mark.parametrize("role", ["partner", "auditor", "finance"])
def test_an_outside_or_control_user_gets_no_pay_share_nor_leadership(api, admin, role):
    leader = UserFactory(roles=["me_leader"])
    me, (a,) = me_with_members(100, leader=leader)
    outsider = UserFactory(roles=[role])
    body = {"members": [{"user": a.username, "weight": "90"}, {"user": outsider.username, "weight": "10"}]}
    response = api(leader).put(f"/api/mes/{me.pk}/members/", body, format="json")
    assert response.status_code == 400 and "cannot lead or belong to an ME" in str(response.json()["errors"])
    assert list(me.memberships.filter(left_on__isnull=True).values_list("user", flat=True)) == [a.pk]
    from orgs import services

    with pytest.raises(ValidationError) as exc:
        services.me_update(me=me, actor=admin, leader=outsider)
    assert "leader" in exc.value.message_dict
    me.refresh_from_db()
    assert me.leader == leader


def test_a_change_dated_after_today_is_refused_by_field_on_the_api_and_the_form(admin_api, admin, client):
    partner = PartnerFactory(state="active")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    for when in ("2099-01-01", tomorrow):
        response = admin_api.post(
            f"/api/partners/{partner.pk}/watch/", {"reason": "r", "effective_on": when}, format="json"
        )
        assert response.status_code == 400 and "effective_on" in response.json()["errors"], when
    client.force_login(admin)
    page = client.post(
        f"/partners/{partner.code}/transition/",
        {"action": "watch", "reason": "r", "effective_on": "2099-01-01", "confirm": "on"},
    )
    assert page.status_code == 400 and "effective_on" in page.context["transition_form"].errors
    with pytest.raises(ValidationError) as exc:
        services.partner_tier_change(
            partner=partner,
            tier=PartnerTier.objects.exclude(pk=partner.tier_id).first(),
            actor=admin,
            reason="r",
            effective_on=dt.date(2099, 1, 1),
        )
    assert "effective_on" in exc.value.message_dict
    partner.refresh_from_db()
    assert partner.state == "active" and partner.state_since <= timezone.localdate()
    assert not AuditEntry.objects.exists()
    # today still works, and a later change dated today is possible
    today = timezone.localdate().isoformat()
    ok = admin_api.post(
        f"/api/partners/{partner.pk}/watch/", {"reason": "r", "effective_on": today}, format="json"
    )
    assert ok.status_code == 200


@pytest.mark.parametrize("value", ["99999999999999999999", str(2**63), "0", "1e2"])
def test_an_id_filter_past_the_id_range_is_a_400_in_the_one_error_shape(admin_api, value):
    answer = admin_api.get("/api/proposals/", {"partner": value})
    assert answer.status_code == 400
    assert "partner" in answer.json()["errors"]


def test_an_id_filter_inside_the_range_filters(admin_api):
    assert admin_api.get("/api/proposals/", {"partner": str(2**63 - 1)}).json()["results"] == []


@pytest.mark.parametrize("weight", ["1e2", 100, 100.0, "1" + "0" * 30])
def test_member_weights_are_decimal_text_without_exponent(admin_api, weight):
    me, (a, _b) = me_with_members(50, 50)
    response = admin_api.put(
        f"/api/mes/{me.pk}/members/", {"members": [{"user": a.username, "weight": weight}]}, format="json"
    )
    assert response.status_code == 400 and "members" in response.json()["errors"]
    assert Membership.objects.filter(me=me, left_on__isnull=True).count() == 2


def test_node_shares_are_decimal_text_without_exponent(admin_api):
    from tests.factories import EMCFactory

    lead = MicroenterpriseFactory(code="lead-x")
    emc = EMCFactory(code="e-x", lead_me=lead)
    for share in ["1e2", 100]:
        response = admin_api.put(
            f"/api/emcs/{emc.pk}/nodes/", {"nodes": [{"me": lead.code, "share_weight": share}]}, format="json"
        )
        assert response.status_code == 400 and "nodes" in response.json()["errors"]
    assert not emc.nodes.exists()


def test_an_me_founded_in_the_future_is_refused_through_the_api(admin_api):
    from django.utils import timezone

    from orgs.models import Microenterprise

    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = admin_api.post(
        "/api/mes/", {"code": "later", "name": "Later", "kind": "node", "founded_on": tomorrow}, format="json"
    )
    assert response.status_code == 400 and "founded_on" in response.json()["errors"]
    assert not Microenterprise.objects.filter(code="later").exists()

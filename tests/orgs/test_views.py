"""The web pages: what each role sees and can do, errors shown by field, constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from orgs.models import EMC, Membership, Partner
from tests.factories import (
    EMCFactory,
    EMCNodeFactory,
    EMCParticipationFactory,
    PartnerFactory,
    PartnerProposalFactory,
    UserFactory,
    me_with_members,
    reference,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_admin_phases_out_a_partner_through_the_form(admin_client):
    emc = EMCFactory(code="balcony")
    partner = PartnerFactory(code="dryco", name="DryCo", state="active")
    EMCParticipationFactory(emc=emc, partner=partner)
    page = admin_client.get("/emcs/balcony/")
    assert b"DryCo" in page.content and page.context["active_partners"][0].partner == partner

    response = admin_client.post(
        "/partners/dryco/transition/",
        {"action": "phase_out", "reason": "users wanted better", "confirm": "on"},
    )
    assert response.status_code == 302
    detail = admin_client.get("/partners/dryco/")
    assert b"users wanted better" in detail.content
    assert Partner.objects.get(code="dryco").state == "phased_out"
    page = admin_client.get("/emcs/balcony/")
    assert page.context["active_partners"] == []
    assert page.context["other_participations"][0].partner == partner


def test_missing_reason_and_confirmation_show_field_errors_and_change_nothing(admin_client):
    PartnerFactory(code="dryco", state="active")
    response = admin_client.post(
        "/partners/dryco/transition/", {"action": "watch", "reason": "", "confirm": "on"}
    )
    assert response.status_code == 400
    assert response.context["transition_form"].errors["reason"] == ["A reason is required."]
    response = admin_client.post("/partners/dryco/transition/", {"action": "watch", "reason": "x"})
    assert "confirm" in response.context["transition_form"].errors
    assert Partner.objects.get(code="dryco").state == "active"


@pytest.mark.parametrize(
    ("field", "text"), [("evidence", "e" * 3000), ("reason", "r" * 2001), ("evidence", "e\x01")]
)
def test_the_transition_form_refuses_texts_the_api_refuses(admin_client, field, text):
    PartnerFactory(code="dryco", state="active")
    body = {"action": "watch", "reason": "review", "effective_on": "", "confirm": "on"} | {field: text}
    response = admin_client.post("/partners/dryco/transition/", body)
    assert response.status_code == 400
    assert response.context["transition_form"].errors[field]
    assert Partner.objects.get(code="dryco").state == "active"


def test_an_illegal_transition_in_the_ui_shows_the_allowed_ones(admin_client):
    PartnerFactory(code="newco", state="applied")
    response = admin_client.post(
        "/partners/newco/transition/", {"action": "watch", "reason": "x", "confirm": "on"}
    )
    assert response.status_code == 400
    assert "Allowed from Applied" in str(response.context["transition_form"].errors["action"])


def test_readers_see_pages_but_cannot_act(client):
    auditor = UserFactory(roles=["auditor"])
    client.force_login(auditor)
    partner = PartnerFactory(code="dryco", state="active")
    assert client.get("/partners/dryco/").status_code == 200
    assert b"lifecycle-actions" not in client.get("/partners/dryco/").content
    assert (
        client.post(
            "/partners/dryco/transition/", {"action": "watch", "reason": "x", "confirm": "on"}
        ).status_code
        == 403
    )
    assert Partner.objects.get(pk=partner.pk).state == "active"
    client.force_login(UserFactory(roles=["me_member"]))
    assert client.get("/audit/").status_code == 403


def test_leader_edits_own_members_and_bad_weights_are_shown(client):
    leader = UserFactory(roles=["me_leader"])
    me, (a, b) = me_with_members(50, 50, leader=leader, code="own")
    _other, _ = me_with_members(100, code="other")
    client.force_login(leader)
    form = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-user": a.username,
        "form-0-weight": "70",
        "form-1-user": b.username,
        "form-1-weight": "20",
    }
    response = client.post("/mes/own/members/", form)
    assert response.status_code == 400
    assert "sum to 90" in str(response.context["meta"].errors["members"])
    form["form-1-weight"] = "30"
    assert client.post("/mes/own/members/", form).status_code == 302
    assert Membership.objects.get(me=me, user=b, left_on__isnull=True).weight == 30
    assert client.get("/mes/other/members/").status_code == 403


def test_split_form_names_unassigned_members(admin_client):
    _me, (a, b) = me_with_members(50, 50, code="parent")
    response = admin_client.post(
        "/mes/parent/split/",
        {
            "child1_code": "left",
            "child2_code": "right",
            "reason": "segment",
            f"to_{a.pk}": "1",
            f"weight_{a.pk}": "100",
            f"to_{b.pk}": "",
            f"weight_{b.pk}": "",
        },
    )
    assert response.status_code == 400
    assert b.username in str(response.context["form"].errors["members"])
    response = admin_client.post(
        "/mes/parent/split/",
        {
            "child1_code": "left",
            "child2_code": "right",
            "reason": "segment",
            f"to_{a.pk}": "1",
            f"weight_{a.pk}": "100",
            f"to_{b.pk}": "2",
            f"weight_{b.pk}": "100",
        },
    )
    assert response.status_code == 302
    assert admin_client.get("/mes/left/").status_code == 200


def test_partner_directory_filters_htmx_partial_and_csv(admin_client):
    PartnerFactory(name="Dryer King", code="dryer-king", state="active")
    PartnerFactory(name="Logi", code="logi", state="on_watch")
    page = admin_client.get("/partners/", {"state": "on_watch"})
    assert [p.code for p in page.context["page"]] == ["logi"]
    partial = admin_client.get("/partners/", {"q": "dryer"}, HTTP_HX_REQUEST="true")
    assert (
        b"<html" not in partial.content
        and b"Dryer King" in partial.content
        and b"Logi" not in partial.content
    )
    csv = admin_client.get("/partners/export.csv", {"state": "active"})
    body = b"".join(csv.streaming_content).decode()
    assert body.splitlines()[0].startswith("code,name,state")
    assert "dryer-king" in body and "logi" not in body


def test_proposal_accept_from_the_partner_page(admin_client):
    proposal = PartnerProposalFactory(partner=PartnerFactory(code="p1", state="active"))
    response = admin_client.post(f"/proposals/{proposal.pk}/decide/", {"decision": "accept", "reason": ""})
    assert response.status_code == 302
    assert Partner.objects.get(code="p1").state == "on_watch"


def test_emc_disband_and_network_pages(admin_client):
    emc = EMCFactory(code="kitchen")
    EMCNodeFactory(emc=emc, me=emc.lead_me)
    assert admin_client.get("/network/").status_code == 200
    data = admin_client.get("/network/data/", {"emc": "kitchen"}).json()
    assert {n["data"]["type"] for n in data["nodes"]} == {"emc", "me"}
    assert admin_client.post("/emcs/kitchen/disband/", {"reason": "", "confirm": "on"}).status_code == 400
    assert admin_client.post("/emcs/kitchen/disband/", {"reason": "done", "confirm": "on"}).status_code == 302
    assert EMC.objects.get(code="kitchen").status == "disbanded"


def _grow(n):
    from orgs import services
    from orgs.models import PartnerTier

    for _ in range(n):
        partner = PartnerFactory()
        emc = EMCFactory()
        EMCNodeFactory(emc=emc, me=emc.lead_me)
        EMCParticipationFactory(emc=emc, partner=partner)
        me_with_members(60, 40)
        services.partner_tier_change(
            partner=partner, tier=PartnerTier.objects.get(code="gold"), actor=None, reason="grow"
        )


@pytest.mark.parametrize("url", ["/partners/", "/mes/", "/emcs/", "/audit/", "/partners/export.csv"])
def test_list_pages_keep_a_constant_query_count(client, admin, url, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    def fetch():
        client.force_login(get_user_model().objects.get(pk=admin.pk))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    _grow(3)
    small = fetch()
    _grow(27)
    assert fetch() == small


def test_the_partner_list_names_roles_and_tiers_in_chinese(admin_client):
    from orgs.models import PartnerRole

    role = reference(PartnerRole, "app-developer", name="Application developer")
    PartnerFactory(code="zh-roles").roles.add(role)
    admin_client.cookies["django_language"] = "zh-hans"
    with translation.override("en"):  # the request activates zh-hans: restore the language after it
        body = admin_client.get("/partners/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'value="app-developer" >应用开发者</option>' in body
    assert "Application developer" not in body

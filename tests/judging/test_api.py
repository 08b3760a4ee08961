"""The judging API: scorecards (a partner user only its own), proposals with accept / dismiss for
admins only, errors in the one error body."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from judging.models import Proposal
from judging.proposals import proposals_make
from orgs.models import PartnerUser
from tests.factories import PartnerFactory, UserFactory
from tests.judging.test_proposals import D, cards, rule


@pytest.fixture
def api():
    return APIClient()


def test_scorecards_list_for_staff_and_own_only_for_a_partner_user(api, judged, night):
    night()
    p, p2 = judged.world.partner, judged.p2
    api.force_authenticate(UserFactory(roles=["finance"]))
    listed = api.get(reverse("api-judging-scorecard-list"))
    assert listed.status_code == 200
    mine = next(r for r in listed.json()["results"] if r["partner"] == p.code)
    assert mine["revenue"] == "70.00" and mine["currency"] == "CNY" and mine["margin_mean"] == "-0.50"
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=p)
    api.force_authenticate(user)
    assert api.get(reverse("api-judging-scorecard-detail", args=[p.code])).json()["refunded"] == "30.00"
    assert api.get(reverse("api-judging-scorecard-detail", args=[p2.code])).status_code == 404
    assert api.get(reverse("api-judging-scorecard-list")).status_code == 403
    api.force_authenticate(UserFactory(roles=["auditor"]))
    bad = api.get(reverse("api-judging-scorecard-list"), {"date": "yesterday"})
    assert bad.status_code == 400 and "date" in bad.json()["errors"]


@pytest.fixture
def proposal(db):
    admin = UserFactory(roles=["platform_admin"])
    rule(admin)
    partner = PartnerFactory()
    cards(partner, "25", "30")
    proposals_make(day=D)
    return admin, Proposal.objects.get()


def test_an_admin_accepts_or_dismisses_through_the_api(api, proposal):
    admin, p = proposal
    api.force_authenticate(admin)
    listed = api.get(reverse("api-judging-proposal-list"), {"status": "open"})
    assert [r["id"] for r in listed.json()["results"]] == [p.pk]
    assert listed.json()["results"][0]["evidence"]["threshold"] == "20.00"
    refused = api.post(reverse("api-judging-proposal-dismiss", args=[p.pk]), {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    done = api.post(
        reverse("api-judging-proposal-accept", args=[p.pk]), {"reason": "Users said so"}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "accepted"
    again = api.post(reverse("api-judging-proposal-accept", args=[p.pk]), {}, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize("role", ["auditor", "finance", "partner"])
def test_other_roles_cannot_decide_through_the_api(api, proposal, role):
    _admin, p = proposal
    api.force_authenticate(UserFactory(roles=[role]))
    assert api.post(reverse("api-judging-proposal-accept", args=[p.pk]), {}, format="json").status_code == 403
    assert Proposal.objects.get().status == "open"

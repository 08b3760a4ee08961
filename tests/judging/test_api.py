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


# --- rules -----------------------------------------------------------------------------------

RULE_BODY = {
    "code": "refunds-high",
    "name": "Refunds too high",
    "action": "watch",
    "metric": "refund_rate_pct",
    "comparison": "above",
    "threshold": "20",
    "sustained_days": 3,
    "appeal_days": 10,
}


def test_an_admin_creates_and_changes_a_rule_through_the_api_with_its_audit_rows(api, db):
    from judging.models import Rule
    from orgs.models import AuditEntry

    admin = UserFactory(roles=["platform_admin"])
    api.force_authenticate(admin)
    made = api.post(reverse("api-judging-rule-list"), RULE_BODY, format="json")
    assert made.status_code == 201
    assert (made.json()["threshold"], made.json()["min_ratings"], made.json()["active"]) == ("20.00", 0, True)
    changed = api.patch(
        reverse("api-judging-rule-detail", args=["refunds-high"]), {"threshold": "25.5"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["threshold"] == "25.50"
    rule = Rule.objects.get()
    assert (rule.code, rule.threshold, rule.sustained_days) == ("refunds-high", 25.5, 3)
    update = AuditEntry.objects.get(action="judging.rule_update")
    assert update.changes == {"threshold": ["20.00", "25.50"]}
    assert AuditEntry.objects.filter(action="judging.rule_create", actor=admin).count() == 1
    listed = api.get(reverse("api-judging-rule-list")).json()
    assert [r["code"] for r in listed] == ["refunds-high"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"threshold": "150"}, "threshold"),  # a refund rate never passes 100 %
        ({"comparison": "below", "threshold": "0"}, "threshold"),  # below 0 % can never happen
        ({"sustained_days": 0}, "sustained_days"),
        ({"sustained_days": "3"}, "sustained_days"),  # a JSON number, not text
        ({"appeal_days": 400}, "appeal_days"),
        ({"grace_days": 5}, "grace_days"),  # a grace period is for tier rules
        ({"action": "close"}, "action"),
        ({"code": "new"}, "code"),  # the rules page's own address
        ({"name": ["x"]}, "name"),
        ({"active": "yes"}, "active"),
    ],
)
def test_an_impossible_rule_is_refused_by_field_and_nothing_is_written(api, db, change, field):
    from judging.models import Rule
    from orgs.models import AuditEntry

    api.force_authenticate(UserFactory(roles=["platform_admin"]))
    refused = api.post(reverse("api-judging-rule-list"), RULE_BODY | change, format="json")
    assert refused.status_code == 400 and field in refused.json()["errors"]
    assert not Rule.objects.exists() and not AuditEntry.objects.exists()


def test_a_list_body_is_a_400_not_a_500(api, db):
    api.force_authenticate(UserFactory(roles=["platform_admin"]))
    assert api.post(reverse("api-judging-rule-list"), [RULE_BODY], format="json").status_code == 400


@pytest.mark.parametrize(
    ("role", "read", "write"), [("auditor", 200, 403), ("finance", 403, 403), ("partner", 403, 403)]
)
def test_only_admins_write_rules_and_admins_and_auditors_read_them(api, db, role, read, write):
    from judging.models import Rule

    api.force_authenticate(UserFactory(roles=[role]))
    assert api.get(reverse("api-judging-rule-list")).status_code == read
    assert api.post(reverse("api-judging-rule-list"), RULE_BODY, format="json").status_code == write
    assert not Rule.objects.exists()


# --- appeals ---------------------------------------------------------------------------------


@pytest.fixture
def accepted(proposal):
    from judging import services

    admin, p = proposal
    services.proposal_accept(proposal=p, actor=admin)
    own = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=own, partner=p.partner)
    stranger = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=stranger, partner=PartnerFactory())
    return admin, Proposal.objects.get(pk=p.pk), own, stranger


def test_a_partner_user_appeals_its_own_accepted_proposal_and_an_admin_decides(api, accepted):
    from orgs.models import AuditEntry

    admin, p, own, stranger = accepted
    api.force_authenticate(stranger)
    assert api.get(reverse("api-judging-proposal-list")).json()["results"] == []
    assert api.get(reverse("api-judging-proposal-detail", args=[p.pk])).status_code == 404
    url = reverse("api-judging-proposal-appeal", args=[p.pk])
    assert api.post(url, {"text": "not mine"}, format="json").status_code == 404

    api.force_authenticate(own)
    assert [r["id"] for r in api.get(reverse("api-judging-proposal-list")).json()["results"]] == [p.pk]
    blank = api.post(url, {"text": "  "}, format="json")
    assert blank.status_code == 400 and "text" in blank.json()["errors"]
    filed = api.post(url, {"text": "A courier's fault"}, format="json")
    assert filed.status_code == 201
    body = filed.json()
    assert body["status"] == "appealed" and body["appeal"]["text"] == "A courier's fault"
    assert body["appeal"]["by"] == own.username and body["appeal"]["outcome"] == ""
    assert api.post(url, {"text": "again"}, format="json").status_code == 409
    decide = reverse("api-judging-proposal-appeal-decide", args=[p.pk])
    assert api.post(decide, {"outcome": "overturned", "reason": "mine"}, format="json").status_code == 403

    api.force_authenticate(admin)
    bad = api.post(decide, {"outcome": "maybe", "reason": "x"}, format="json")
    assert bad.status_code == 400 and "outcome" in bad.json()["errors"]
    done = api.post(decide, {"outcome": "overturned", "reason": "Courier at fault"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "overturned"
    assert done.json()["appeal"]["decided_by"] == admin.username
    p.partner.refresh_from_db()
    assert p.partner.state == "active"  # on watch, overturned: back to active
    assert AuditEntry.objects.filter(action="judging.appeal_overturned", actor=admin).count() == 1


def test_an_admin_cannot_file_an_appeal_and_a_user_without_a_partner_reads_no_proposals(api, accepted):
    admin, p, _own, _stranger = accepted
    api.force_authenticate(admin)
    assert (
        api.post(
            reverse("api-judging-proposal-appeal", args=[p.pk]), {"text": "x"}, format="json"
        ).status_code
        == 403
    )
    api.force_authenticate(UserFactory(roles=["finance"]))
    assert api.get(reverse("api-judging-proposal-list")).status_code == 403
    assert Proposal.objects.get().status == "accepted"


# --- utility ---------------------------------------------------------------------------------


def test_the_utility_per_partner_with_its_terms_and_the_graph_for_staff_only(api, judged, night):
    judged.world.solution.provider_partners.add(judged.p2)
    night()
    p, p2 = judged.world.partner, judged.p2
    api.force_authenticate(UserFactory(roles=["auditor"]))
    body = api.get(reverse("api-judging-scorecard-utility", args=[p.code])).json()
    terms = {t["code"]: t for t in body["terms"]}
    # P: the 5.25 the ledger credited it (tests/judging/test_utility.py works it); f_e has no data
    assert terms["P"]["value"] == "5.25" and terms["P"]["unit"] == "currency"
    assert terms["f_e"]["value"] is None and "f_e" in body["missing"]
    assert body["neighbours"] == [{"partner": p2.code, "shared_events": 0}]
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=p)
    api.force_authenticate(user)
    mine = api.get(reverse("api-judging-scorecard-utility", args=[p.code]))
    assert mine.status_code == 200 and mine.json()["neighbours"] is None
    assert mine.json()["terms"] == body["terms"]
    card = api.get(reverse("api-judging-scorecard-detail", args=[p.code])).json()
    assert "graph" not in card["figures"]["utility"]
    assert api.get(reverse("api-judging-scorecard-utility", args=[p2.code])).status_code == 404

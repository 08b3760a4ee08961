"""The tier gates' web form: a platform admin gates a draft's tier with one of its vertical goals;
a bad value gets the contract terms rules' message on its tier's field and nothing is written;
an approved version is shown, not changed; others may not open it."""

import pytest
from django.test import Client
from django.urls import reverse

from ledger import services as ledger_services
from orgs.audit import audit_for
from payouts.models import TierGate
from tests.factories import UserFactory
from tests.payouts.test_gates import draft  # noqa: F401 (the fixture)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(contract) -> str:
    return reverse("payouts:contract-tier-gates", args=[contract.pk])


def test_the_form_offers_the_drafts_vertical_goals_per_tier_and_saves_a_gate(draft):  # noqa: F811
    admin = browser(draft.world.admin)
    page = admin.get(url(draft))
    assert page.status_code == 200
    form = page.context["form"]
    assert list(form.fields) == ["tier_1", "tier_2"]  # the 100% and 150% tiers
    choices = [code for code, _label in form.fields["tier_2"].widget.choices]
    assert choices == ["", "lifelong_users"]  # the horizontal goal gates nothing: not offered
    saved = admin.post(url(draft), {"tier_1": "", "tier_2": "lifelong_users"})
    assert saved.status_code == 302 and saved.url == url(draft)
    [gate] = TierGate.objects.select_related("tier", "goal")
    assert (gate.contract_id, gate.tier.threshold_pct, gate.goal.metric) == (draft.pk, 150, "lifelong_users")
    assert audit_for(draft).filter(action="payouts.tier_gates_set").count() == 1
    again = admin.get(url(draft))
    assert again.context["form"]["tier_2"].value() == "lifelong_users"  # shown as set
    cleared = admin.post(url(draft), {"tier_1": "", "tier_2": ""})
    assert cleared.status_code == 302 and not TierGate.objects.exists()


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("user_paid_value", "only a vertical goal gates a tier"),
        ("headcount", "is not a VAM goal metric"),
        ("ecosystem_revenue", "has no Ecosystem revenue goal"),
        ("x" * 41, "at most 40 characters"),
    ],
)
def test_a_bad_gate_is_a_field_error_and_nothing_is_written(draft, metric, message):  # noqa: F811
    admin = browser(draft.world.admin)
    admin.post(url(draft), {"tier_1": "lifelong_users"})
    assert TierGate.objects.count() == 1
    refused = admin.post(url(draft), {"tier_1": "", "tier_2": metric})
    assert refused.status_code == 400
    form = refused.context["form"]
    assert message in " ".join(form.errors["tier_2"]) and "tier_1" not in form.errors
    assert b'data-testid="error-tier_2"' in refused.content
    [kept] = TierGate.objects.select_related("tier")  # the earlier gate, untouched
    assert kept.tier.threshold_pct == 100


def test_an_approved_version_is_shown_and_refused_with_a_409(draft):  # noqa: F811
    admin = browser(draft.world.admin)
    ledger_services.contract_approve(actor=UserFactory(roles=["platform_admin"]), contract=draft)
    page = admin.get(url(draft))
    assert page.status_code == 200 and b'data-testid="not-draft"' in page.content
    assert b'data-testid="save-gates"' not in page.content
    refused = admin.post(url(draft), {"tier_2": "lifelong_users"})
    assert refused.status_code == 409 and "Only a draft" in " ".join(
        refused.context["form"].non_field_errors()
    )
    assert not TierGate.objects.exists()


def test_only_platform_admins_open_it_and_a_missing_contract_is_404(draft):  # noqa: F811
    finance = browser(UserFactory(roles=["finance"]))
    assert finance.get(url(draft)).status_code == 403
    assert finance.post(url(draft), {"tier_2": "lifelong_users"}).status_code == 403
    assert not TierGate.objects.exists()
    anonymous = Client().get(url(draft))
    assert anonymous.status_code == 302 and "login" in anonymous.url
    missing = reverse("payouts:contract-tier-gates", args=[999999])
    assert browser(draft.world.admin).get(missing).status_code == 404


def test_the_admin_panel_links_a_draft_to_its_gates(draft):  # noqa: F811
    page = browser(draft.world.admin).get(reverse("portal:dashboard"))
    assert url(draft).encode() in page.content

"""The proposals queue, a proposal's evidence and decision, appeals, the rules' pages: each role
sees and does only its own part."""

import datetime as dt

import pytest
from django.urls import reverse

from judging.models import Proposal, Rule
from judging.proposals import proposals_make
from orgs.models import AuditEntry, PartnerTransition, PartnerUser
from tests.factories import PartnerFactory, UserFactory
from tests.judging.test_proposals import D, cards, rule


@pytest.fixture
def admin(db):
    return UserFactory(roles=["platform_admin"])


@pytest.fixture
def proposed(admin):
    rule(admin, action="phase_out", name="Refunds sustained")
    partner = PartnerFactory(state="on_watch")
    other = PartnerFactory(state="on_watch")
    cards(partner, "25", "30")
    proposals_make(day=D)
    return Proposal.objects.get(), partner, other


def test_an_admin_reads_the_evidence_and_accepts_a_phase_out(client, admin, proposed):
    proposal, partner, _other = proposed
    client.force_login(admin)
    queue = client.get(reverse("judging:proposal-queue"))
    assert [p.pk for p in queue.context["page"]] == [proposal.pk]
    page = client.get(reverse("judging:proposal-detail", args=[proposal.pk]))
    html = page.content.decode()
    assert "Refunds sustained" in html and "30.00" in html and 'data-testid="accept"' in html
    done = client.post(
        reverse("judging:proposal-detail", args=[proposal.pk]),
        {"form": "decide", "decision": "accept", "reason": "Users wanted better"},
    )
    assert done.status_code == 302
    partner.refresh_from_db()
    assert partner.state == "phased_out"
    step = PartnerTransition.objects.filter(partner=partner).latest("at")
    assert step.reason == "Users wanted better" and "Refunds sustained" in step.evidence


def test_dismissing_without_a_reason_is_a_field_error_and_changes_nothing(client, admin, proposed):
    proposal, _partner, _other = proposed
    client.force_login(admin)
    page = client.post(
        reverse("judging:proposal-detail", args=[proposal.pk]),
        {"form": "decide", "decision": "dismiss", "reason": ""},
    )
    assert page.status_code == 400 and page.context["decision_form"].errors
    assert Proposal.objects.get().status == "open"


@pytest.mark.parametrize("role", ["auditor", "finance", "me_leader"])
def test_other_roles_cannot_decide(client, proposed, role):
    proposal, partner, _other = proposed
    client.force_login(UserFactory(roles=[role]))
    response = client.post(
        reverse("judging:proposal-detail", args=[proposal.pk]), {"form": "decide", "decision": "accept"}
    )
    assert response.status_code in (403, 404)
    partner.refresh_from_db()
    assert partner.state == "on_watch"


def test_a_partner_user_sees_and_appeals_its_own_decision_only(client, admin, proposed):
    from judging import services

    proposal, partner, other = proposed
    services.proposal_accept(proposal=proposal, actor=admin)
    own = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=own, partner=partner)
    stranger = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=stranger, partner=other)

    client.force_login(stranger)
    assert client.get(reverse("judging:proposal-detail", args=[proposal.pk])).status_code == 404
    assert client.get(reverse("judging:proposal-queue")).status_code == 403
    assert client.get(reverse("judging:partner-mine")).context["notices"].count() == 0

    client.force_login(own)
    mine = client.get(reverse("judging:partner-mine"))
    assert [n.proposal_id for n in mine.context["notices"]] == [proposal.pk]
    appealed = client.post(
        reverse("judging:proposal-detail", args=[proposal.pk]), {"form": "appeal", "text": "Courier's fault"}
    )
    assert appealed.status_code == 302 and Proposal.objects.get().status == "appealed"
    # a partner user does not decide its own appeal
    client.post(
        reverse("judging:proposal-detail", args=[proposal.pk]),
        {"form": "appeal_decide", "outcome": "overturned", "reason": "mine"},
    )
    assert Proposal.objects.get().status == "appealed"


def test_an_admin_edits_rules_in_the_web_ui_with_field_errors(client, admin):
    client.force_login(admin)
    data = {
        "code": "margin-low",
        "name": "Margin low",
        "action": "watch",
        "metric": "margin_mean",
        "comparison": "below",
        "threshold": "-9",
        "sustained_days": "30",
        "appeal_days": "14",
        "active": "on",
    }
    refused = client.post(reverse("judging:rule-new"), data)
    assert refused.status_code == 400 and "threshold" in refused.context["form"].errors
    assert not Rule.objects.exists()
    saved = client.post(reverse("judging:rule-new"), {**data, "threshold": "-1"})
    assert saved.status_code == 302 and Rule.objects.get().threshold == -1
    changed = client.post(reverse("judging:rule-edit", args=["margin-low"]), {**data, "threshold": "-1.5"})
    assert changed.status_code == 302
    assert AuditEntry.objects.filter(action="judging.rule_update").count() == 1


@pytest.mark.parametrize("role", ["auditor", "me_leader", "partner"])
def test_only_admins_edit_rules(client, db, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(reverse("judging:rule-list")).status_code == 403
    assert client.post(reverse("judging:rule-new"), {"code": "x"}).status_code == 403


def test_the_night_makes_proposals_from_the_rules_after_the_scorecards(judged, night, admin):
    rule(admin, name="Refunds now", sustained_days=1)
    night()
    p = Proposal.objects.get()
    assert p.partner == judged.world.partner and p.evidence["nights"][0]["refund_rate_pct"] == "30.00"
    assert p.day == judged.day and dt.date.fromisoformat(p.evidence["to"]) == judged.day


def test_the_evidence_is_a_labelled_table_on_the_proposal_page_and_in_the_timeline(client, admin, proposed):
    """The rule: refund rate above 20 on 2 nights running (tests/judging/test_proposals.py); the
    partner's nights were 25.00 and 30.00, both over it."""
    from orgs.evidence import evidence_display

    proposal, partner, _other = proposed
    shown = evidence_display(proposal.evidence, partner=partner)
    assert shown["title"] == "Rule “Refunds sustained”"
    assert dict(shown["summary"]) == {
        "Figure checked": "Refund rate (%)",
        "Threshold": "above 20.00%",
        "Nights in a row": "2",
        "Window of each figure": "90 days",
        "Nights": "2025-03-30 to 2025-03-31",
        # the first night's figure looks back over 90 days: 2025-03-30 and the 89 days before it
        "Events behind them": "2024-12-31 to 2025-03-31",
    }
    assert shown["columns"] == [
        "Night",
        "Ecosystem revenue",
        "Revenue growth",
        "Value added vs baseline",
        "Experience margin",
        "Refund rate",
    ]
    assert [[c["text"] for c in row] for row in shown["rows"]] == [
        # the test's cards carry only the refund rate (revenue is 0 by default): money with its currency
        ["2025-03-30", "CN¥0.00", "—", "—", "—", "25.00%"],
        ["2025-03-31", "CN¥0.00", "—", "—", "—", "30.00%"],
    ]
    assert [[c["mark"] for c in row] for row in shown["rows"]] == [[False] * 5 + [True]] * 2
    link = f"/judging/partners/{partner.code}/?date=2025-03-31&window=90"
    assert shown["link"]["url"] == link

    client.force_login(admin)
    html = client.get(reverse("judging:proposal-detail", args=[proposal.pk])).content.decode()
    box = html[html.index('data-testid="proposal-evidence"') :]
    assert 'data-testid="evidence-table"' in box and "<dt" in box and "Refund rate (%)" in box
    assert box.count('data-crossed="1"') == 2 and f'href="{link}"' in box.replace("&amp;", "&")
    assert '"nights"' not in html and "minor units" not in html  # no JSON, no minor units

    client.post(
        reverse("judging:proposal-detail", args=[proposal.pk]),
        {"form": "decide", "decision": "accept", "reason": "Users wanted better"},
    )
    page = client.get(reverse("orgs:partner-detail", args=[partner.code])).content.decode()
    timeline = page[page.index('data-testid="timeline"') :]
    assert 'data-testid="evidence-table"' in timeline and "Refund rate (%)" in timeline
    assert "&quot;nights&quot;" not in timeline and '"nights"' not in timeline
    assert f'href="{link}"' in timeline.replace("&amp;", "&")


def test_the_evidence_table_in_zh_hans(admin, proposed):
    from django.utils import translation

    from orgs.evidence import evidence_display

    proposal, partner, _other = proposed
    with translation.override("zh-hans"):
        shown = evidence_display(proposal.evidence, partner=partner)
    labels = dict(shown["summary"])
    assert "检查的指标" in labels and "阈值" in labels
    assert shown["columns"][-1] == "退款率"


def test_other_evidence_shows_as_labelled_rows_or_as_its_text():
    from orgs.evidence import evidence_display

    assert evidence_display('{"value_change": -0.18}')["summary"] == [("Value change", "-0.18")]
    assert evidence_display("Ratings 38% above expectation") == {"text": "Ratings 38% above expectation"}
    assert evidence_display("") is None

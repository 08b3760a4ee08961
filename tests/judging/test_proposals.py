"""Rules as data turning sustained poor user value into proposals; decisions, notices, appeals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from config.errors import ConflictError
from judging import services
from judging.models import Notice, Proposal, Rule, Scorecard
from judging.proposals import proposals_make
from orgs import services as org_services
from orgs.models import AuditEntry, Partner, PartnerTier, PartnerTransition, PartnerUser
from scoring.models import NightlyRun
from tests.factories import PartnerFactory, UserFactory, reference

D = dt.date(2025, 3, 31)


@pytest.fixture
def admin(db):
    return UserFactory(roles=["platform_admin"])


def rule(admin, **overrides):
    data = {
        "name": "Refunds too high",
        "action": "watch",
        "metric": "refund_rate_pct",
        "comparison": "above",
        "threshold": "20",
        "sustained_days": 2,
        "appeal_days": 10,
    }
    data.update(overrides)
    return services.rule_save(actor=admin, code=overrides.pop("code", data["name"]), data=data)


def cards(partner, *values, field="refund_rate_pct", end=D):
    """Scorecards of the partner for the nights ending on `end`, oldest first."""
    run, _new = NightlyRun.objects.get_or_create(run_date=end, superseded=False, defaults={"status": "done"})
    for i, value in enumerate(values):
        Scorecard.objects.update_or_create(
            partner=partner,
            day=end - dt.timedelta(days=len(values) - 1 - i),
            defaults={
                "run": run,
                "window_days": 90,
                "currency": "CNY",
                "state": partner.state,
                "tier_code": partner.tier.code,
                field: None if value is None else Decimal(value),
            },
        )


def test_a_rule_sustained_for_its_nights_makes_one_proposal_with_its_evidence(admin):
    r = rule(admin)
    bad, brief, good = PartnerFactory(), PartnerFactory(), PartnerFactory()
    cards(bad, "25", "30")
    cards(brief, "10", "30")  # only the last night is poor
    cards(good, "5", "5")
    result = proposals_make(day=D)
    assert result["made"] == {r.code: 1}
    p = Proposal.objects.get()
    assert (p.partner, p.action, p.from_value, p.to_value, p.status) == (
        bad,
        "watch",
        "active",
        "on_watch",
        "open",
    )
    assert p.evidence["threshold"] == "20.00" and p.evidence["sustained_days"] == 2
    assert [n["refund_rate_pct"] for n in p.evidence["nights"]] == ["25.00", "30.00"]
    # the same night again, and the next night of the same episode: no second proposal
    proposals_make(day=D)
    cards(bad, "25", "30", "40", end=D + dt.timedelta(days=1))
    proposals_make(day=D + dt.timedelta(days=1))
    assert Proposal.objects.count() == 1


def test_no_data_does_not_count_as_poor_value(admin):
    rule(admin, metric="margin_mean", comparison="below", threshold="0", name="Margin under zero")
    partner = PartnerFactory()
    cards(partner, None, None, field="margin_mean")
    assert proposals_make(day=D)["made"] == {"margin-under-zero": 0}


def test_an_open_proposal_is_superseded_when_the_partner_moves_on(admin):
    rule(admin)
    partner = PartnerFactory()
    cards(partner, "25", "30")
    proposals_make(day=D)
    org_services.partner_transition(
        partner=partner, to_state="on_watch", actor=admin, reason="Seen by hand", effective_on=D
    )
    proposals_make(day=D)
    assert Proposal.objects.get().status == "superseded"


def test_accepting_runs_the_lifecycle_tells_the_partner_and_opens_an_appeal(
    admin, django_capture_on_commit_callbacks
):
    rule(admin)
    partner = PartnerFactory(contact_email="ops@partner.example")
    cards(partner, "25", "30")
    proposals_make(day=D)
    proposal = Proposal.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_accept(proposal=proposal, actor=admin, reason="Users asked for better")
    partner.refresh_from_db()
    assert partner.state == "on_watch"
    step = PartnerTransition.objects.filter(partner=partner).latest("at")
    assert step.to_value == "on_watch" and '"refund_rate_pct"' in step.evidence
    proposal.refresh_from_db()
    assert proposal.status == "accepted" and proposal.appeal_until is not None
    assert Notice.objects.filter(partner=partner, proposal=proposal).count() == 1
    assert mail.outbox[-1].to == ["ops@partner.example"] and "appeal" in mail.outbox[-1].body
    assert AuditEntry.objects.filter(action="judging.proposal_accept").exists()
    with pytest.raises(ConflictError):
        services.proposal_dismiss(proposal=proposal, actor=admin, reason="too late")


def test_dismissing_needs_a_reason_and_changes_no_state(admin):
    rule(admin)
    partner = PartnerFactory()
    cards(partner, "25", "30")
    proposals_make(day=D)
    proposal = Proposal.objects.get()
    with pytest.raises(ValidationError):
        services.proposal_dismiss(proposal=proposal, actor=admin, reason=" ")
    services.proposal_dismiss(proposal=proposal, actor=admin, reason="A one-off recall")
    partner.refresh_from_db()
    assert partner.state == "active" and Proposal.objects.get().status == "dismissed"


def test_an_appeal_reopens_the_decision_and_overturning_reinstates(admin, monkeypatch):
    rule(admin)
    partner = PartnerFactory()
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=partner)
    cards(partner, "25", "30")
    proposals_make(day=D)
    proposal = services.proposal_accept(proposal=Proposal.objects.get(), actor=admin)
    services.appeal_file(proposal=proposal, actor=user, text="The refunds were a courier's fault.")
    assert Proposal.objects.get().status == "appealed"
    with pytest.raises(ConflictError):
        services.appeal_file(proposal=proposal, actor=user, text="again")
    services.appeal_decide(proposal=proposal, actor=admin, outcome="overturned", reason="Courier at fault")
    partner.refresh_from_db()
    assert partner.state == "active" and Proposal.objects.get().status == "overturned"


def test_an_appeal_after_its_window_is_refused(admin, monkeypatch):
    rule(admin)
    partner = PartnerFactory()
    cards(partner, "25", "30")
    proposals_make(day=D)
    proposal = services.proposal_accept(proposal=Proposal.objects.get(), actor=admin)
    later = proposal.appeal_until + dt.timedelta(days=1)
    monkeypatch.setattr("judging.services.today", lambda: later)
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=partner)
    with pytest.raises(ConflictError):
        services.appeal_file(proposal=proposal, actor=user, text="late")
    stranger = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=stranger, partner=PartnerFactory())
    monkeypatch.setattr("judging.services.today", lambda: proposal.appeal_until)
    with pytest.raises(PermissionDenied):
        services.appeal_file(proposal=proposal, actor=stranger, text="not mine")
    assert Proposal.objects.get().status == "accepted"


def test_tier_rules_respect_their_grace_period(admin):
    reference(PartnerTier, "registered", name="Registered", rank=0)
    silver = reference(PartnerTier, "silver", name="Silver", rank=1)
    rule(
        admin,
        name="Tier up on growth",
        action="tier_up",
        metric="revenue_growth_pct",
        comparison="above",
        threshold="50",
        grace_days=30,
    )
    fresh, settled = PartnerFactory(), PartnerFactory()
    org_services.partner_tier_change(
        partner=fresh, tier=silver, actor=admin, reason="promoted", effective_on=D - dt.timedelta(days=5)
    )
    org_services.partner_tier_change(
        partner=fresh,
        tier=PartnerTier.objects.get(code="registered"),
        actor=admin,
        reason="back",
        effective_on=D - dt.timedelta(days=4),
    )
    for p in (fresh, settled):
        p.refresh_from_db()
        cards(p, "60", "80", field="revenue_growth_pct")
    proposals_make(day=D)
    p = Proposal.objects.get()
    assert (p.partner, p.kind, p.from_value, p.to_value) == (settled, "tier", "registered", "silver")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("threshold", "-5"),  # margin: ratings minus expectations lie from -4 to 4
        ("threshold", "-4"),  # below the lowest possible margin: never
        ("threshold", "abc"),
        ("sustained_days", "0"),
        ("sustained_days", "9999"),
        ("appeal_days", "0"),
        ("action", "promote"),
        ("grace_days", "5"),  # a grace period is for tier rules
    ],
)
def test_an_impossible_rule_is_refused_by_field_and_nothing_is_written(admin, field, value):
    data = {
        "name": "Margin",
        "action": "watch",
        "metric": "margin_mean",
        "comparison": "below",
        "threshold": "-1",
        "sustained_days": 30,
        "appeal_days": 14,
        field: value,
    }
    with pytest.raises(ValidationError) as exc:
        services.rule_save(actor=admin, code="margin", data=data)
    assert field in exc.value.message_dict
    assert not Rule.objects.exists() and not AuditEntry.objects.filter(action__startswith="judging.").exists()


def test_a_rule_change_is_audited_with_what_changed(admin):
    r = rule(admin)
    data = {f: getattr(r, f) for f in services.RULE_FIELDS}
    services.rule_save(actor=admin, rule=r, data={**data, "threshold": "35"})
    entry = AuditEntry.objects.filter(action="judging.rule_update").get()
    assert entry.changes == {"threshold": ["20.00", "35"]}
    assert Rule.objects.get().threshold == Decimal("35")


def test_a_state_the_rule_does_not_apply_to_is_never_proposed(admin):
    rule(admin)
    partner = PartnerFactory(state=Partner.State.PHASED_OUT)
    cards(partner, "25", "30")
    assert proposals_make(day=D)["made"] == {"refunds-too-high": 0}


def test_accepting_with_a_date_after_today_is_refused_and_leaves_the_proposal_open(admin):
    rule(admin)
    partner = PartnerFactory()
    cards(partner, "25", "30")
    proposals_make(day=D)
    proposal = Proposal.objects.get()
    with pytest.raises(ValidationError) as exc:
        services.proposal_accept(proposal=proposal, actor=admin, effective_on=dt.date(2099, 1, 1))
    assert "effective_on" in exc.value.message_dict
    assert Proposal.objects.get().status == "open"
    assert Partner.objects.get(pk=partner.pk).state == partner.state

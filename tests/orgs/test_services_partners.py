"""Partner lifecycle, tiers and proposals: given / when / then, through the services."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from config.errors import ConflictError
from orgs import services
from orgs.models import AuditEntry, Partner, PartnerProposal, PartnerRole, PartnerTier, PartnerTransition
from orgs.selectors import partners_creditable_in_emc
from tests.factories import EMCFactory, EMCParticipationFactory, PartnerFactory, PartnerProposalFactory

pytestmark = pytest.mark.django_db
S = Partner.State


def test_a_new_partner_applies_and_walks_the_whole_lifecycle(admin):
    partner = services.partner_create(
        actor=admin, code="dryco", name="DryCo", roles=list(PartnerRole.objects.all()[:2])
    )
    assert partner.state == S.APPLIED
    for action, state in [
        ("admit", S.PROBATION),
        ("activate", S.ACTIVE),
        ("watch", S.ON_WATCH),
        ("reinstate", S.ACTIVE),
        ("phase_out", S.PHASED_OUT),
        ("reapply", S.APPLIED),
        ("reject", S.REJECTED),
    ]:
        services.partner_act(partner=partner, action=action, actor=admin, reason=f"because {action}")
        partner.refresh_from_db()
        assert partner.state == state
    steps = list(partner.transitions.order_by("id").values_list("to_value", "reason"))
    assert steps[0][0] == S.APPLIED
    assert steps[-1] == (S.REJECTED, "because reject")
    assert AuditEntry.objects.filter(object_id=str(partner.pk), action="partner.phase_out").count() == 1


def test_a_transition_without_a_reason_is_refused_and_writes_nothing(admin):
    partner = PartnerFactory(state=S.ACTIVE)
    with pytest.raises(ValidationError) as exc:
        services.partner_phase_out(partner=partner, actor=admin, reason="   ")
    assert "reason" in exc.value.error_dict
    partner.refresh_from_db()
    assert partner.state == S.ACTIVE
    assert not PartnerTransition.objects.filter(partner=partner).exists()
    assert not AuditEntry.objects.exists()


def test_an_illegal_transition_is_a_conflict_naming_the_allowed_targets(admin):
    partner = PartnerFactory(state=S.APPLIED)
    with pytest.raises(ConflictError) as exc:
        services.partner_transition(partner=partner, to_state=S.ACTIVE, actor=admin, reason="skip probation")
    message = exc.value.error_dict["state"][0].messages[0]
    assert "Applied" in message and "Active" in message and "Probation" in message and "Rejected" in message
    partner.refresh_from_db()
    assert partner.state == S.APPLIED


def test_phasing_out_ends_participations_from_the_date_and_stops_credit(admin):
    partner = PartnerFactory(state=S.ACTIVE, state_since=dt.date(2024, 1, 1))
    balcony, kitchen = EMCFactory(), EMCFactory()
    EMCParticipationFactory(emc=balcony, partner=partner, started_on=dt.date(2024, 2, 1))
    old = EMCParticipationFactory(
        emc=kitchen, partner=partner, started_on=dt.date(2024, 2, 1), ended_on=dt.date(2024, 3, 1)
    )

    services.partner_phase_out(
        partner=partner,
        actor=admin,
        reason="users wanted better dryers",
        evidence="rating 2.1/5",
        effective_on=dt.date(2024, 6, 1),
    )

    row = partner.participations.get(emc=balcony)
    assert row.ended_on == dt.date(2024, 6, 1)
    old.refresh_from_db()
    assert old.ended_on == dt.date(2024, 3, 1)  # history untouched
    # no new value event credits it, whatever its date; the participation history stays
    assert partner not in partners_creditable_in_emc(emc_id=balcony.pk, on=dt.date(2024, 5, 31))
    assert partner not in partners_creditable_in_emc(emc_id=balcony.pk, on=dt.date(2024, 6, 1))
    step = partner.transitions.get(to_value=S.PHASED_OUT)
    assert (step.actor, step.evidence, step.effective_on) == (admin, "rating 2.1/5", dt.date(2024, 6, 1))


def test_phasing_out_also_ends_a_participation_due_to_end_later_so_readmission_does_not_revive_it(admin):
    partner = PartnerFactory(state=S.ACTIVE, state_since=dt.date(2024, 1, 1))
    emc = EMCFactory()
    running = EMCParticipationFactory(
        emc=emc, partner=partner, started_on=dt.date(2024, 2, 1), ended_on=dt.date(2024, 12, 31)
    )

    services.partner_phase_out(
        partner=partner, actor=admin, reason="poor ratings", effective_on=dt.date(2024, 6, 1)
    )
    for action in ("reapply", "admit"):
        services.partner_act(
            partner=partner, action=action, actor=admin, reason="re-entry", effective_on=dt.date(2024, 7, 1)
        )

    running.refresh_from_db()
    assert running.ended_on == dt.date(2024, 6, 1)
    # back on probation, but not in this EMC until it joins again
    assert partner not in partners_creditable_in_emc(emc_id=emc.pk, on=dt.date(2024, 8, 1))


def test_creditable_selector_excludes_partners_not_yet_started_or_in_bad_states():
    emc = EMCFactory()
    ok = EMCParticipationFactory(emc=emc, started_on=dt.date(2024, 1, 1)).partner
    later = EMCParticipationFactory(emc=emc, started_on=dt.date(2024, 9, 1)).partner
    ended = EMCParticipationFactory(emc=emc, ended_on=dt.date(2024, 5, 1)).partner
    rejected = EMCParticipationFactory(emc=emc, partner=PartnerFactory(state=S.REJECTED)).partner
    result = set(partners_creditable_in_emc(emc_id=emc.pk, on=dt.date(2024, 5, 1)))
    assert ok in result
    assert later not in result and ended not in result and rejected not in result
    assert ended in set(partners_creditable_in_emc(emc_id=emc.pk, on=dt.date(2024, 4, 30)))


def test_effective_date_before_the_current_state_is_refused(admin):
    partner = PartnerFactory(state=S.ACTIVE, state_since=dt.date(2024, 5, 1))
    with pytest.raises(ValidationError) as exc:
        services.partner_phase_out(partner=partner, actor=admin, reason="x", effective_on=dt.date(2024, 4, 1))
    assert "effective_on" in exc.value.error_dict


def test_tier_promotion_and_demotion_are_recorded_like_transitions(admin):
    partner = PartnerFactory()
    gold = PartnerTier.objects.get(code="gold")
    services.partner_tier_change(partner=partner, tier=gold, actor=admin, reason="top dryer brand")
    services.partner_tier_change(
        partner=partner, tier=PartnerTier.objects.get(code="silver"), actor=admin, reason="ratings fell"
    )
    partner.refresh_from_db()
    assert partner.tier.code == "silver"
    assert list(
        partner.transitions.filter(kind="tier").order_by("id").values_list("from_value", "to_value")
    ) == [("registered", "gold"), ("gold", "silver")]
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"partner.promote", "partner.demote"}
    with pytest.raises(ConflictError):
        services.partner_tier_change(partner=partner, tier=partner.tier, actor=admin, reason="again")


def test_proposals_are_idempotent_and_accepting_runs_the_transition(admin):
    partner = PartnerFactory(state=S.ACTIVE)
    first, created = services.partner_proposal_create(
        partner=partner, to_state=S.ON_WATCH, reason="ratings under expectation", evidence={"rating": 2.9}
    )
    again, created_again = services.partner_proposal_create(
        partner=partner, to_state=S.ON_WATCH, reason="again"
    )
    assert created and not created_again and first.pk == again.pk

    step = services.partner_proposal_accept(proposal=first, actor=admin)

    partner.refresh_from_db()
    first.refresh_from_db()
    assert partner.state == S.ON_WATCH
    assert first.status == PartnerProposal.Status.ACCEPTED and first.decided_by == admin
    assert step.proposal == first and '"rating": 2.9' in step.evidence
    with pytest.raises(ConflictError):
        services.partner_proposal_accept(proposal=first, actor=admin)


def test_dismissing_a_proposal_needs_a_reason_and_leaves_the_partner(admin):
    proposal = PartnerProposalFactory()
    with pytest.raises(ValidationError):
        services.partner_proposal_dismiss(proposal=proposal, actor=admin, reason="")
    services.partner_proposal_dismiss(proposal=proposal, actor=admin, reason="seasonal dip")
    proposal.refresh_from_db()
    assert proposal.status == PartnerProposal.Status.DISMISSED and proposal.decision_reason == "seasonal dip"
    assert Partner.objects.get(pk=proposal.partner_id).state == S.ACTIVE


def test_a_proposal_the_new_state_makes_moot_is_closed(admin):
    partner = PartnerFactory(state=S.ACTIVE)
    watch = PartnerProposalFactory(partner=partner, to_state=S.ON_WATCH)
    services.partner_phase_out(partner=partner, actor=admin, reason="decided directly")
    watch.refresh_from_db()
    assert watch.status == PartnerProposal.Status.DISMISSED


def test_an_impossible_proposal_is_refused(admin):
    partner = PartnerFactory(state=S.APPLIED)
    with pytest.raises(ConflictError):
        services.partner_proposal_create(partner=partner, to_state=S.ON_WATCH, reason="x")
    assert not PartnerProposal.objects.exists()


def test_duplicate_partner_code_is_a_conflict(admin):
    PartnerFactory(code="dup")
    with pytest.raises(ConflictError) as exc:
        services.partner_create(
            actor=admin, code="dup", name="Other", roles=list(PartnerRole.objects.all()[:1])
        )
    assert "code" in exc.value.error_dict

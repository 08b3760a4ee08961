"""Write a plan's organization: people, MEs, EMCs, catalogue, partners, contracts.

At Haier's size (40,000 members, 10,000 partners with their lifecycles) the organization
services would take tens of minutes, one row and audit row at a time, so the rows below are
bulk-created, exactly as the services make them: the same fields, the same timeline rows
(PartnerTransition) and the same audit rows (actions and changes) as `orgs.services` writes for
me_create, me_activate, emc_create, scenario_create, category_create, solution_create,
solution_version_add, partner_create, partner_act, partner_tier_change, partner_certify,
emc_partner_join and emc_partner_leave. Contracts go through the ledger's services
(drafted, validated, approved), a few thousand calls. Phase-outs that fall inside the history
are NOT written here: the history applies them through `orgs.services.partner_phase_out` on
their day, since the posting engine credits only partners that are still creditable.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from ledger import services as ledger_services
from orgs.models import (
    EMC,
    AuditEntry,
    Category,
    Certification,
    EMCNode,
    EMCParticipation,
    Industry,
    MEKind,
    Membership,
    Microenterprise,
    Partner,
    PartnerRole,
    PartnerTier,
    PartnerTransition,
    PlatformResource,
    PlatformStandard,
    Scenario,
    Solution,
    SolutionVersion,
)
from orgs.roles import Role
from synth.history import AMOUNT_FACTORS, Ids, daily_counts, timeline_steps
from synth.plan import RESOURCES, STANDARDS, TIERS, Plan

ADMIN_USERNAME = "synth-admin"
APPROVER_USERNAME = "synth-approver"  # a version's drafter never approves it
UNUSABLE_PASSWORD = "!synth"  # a hash starting with "!" never matches: these people never log in
BATCH = 2000
ACTION_STATE = {
    "admit": Partner.State.PROBATION,
    "reject": Partner.State.REJECTED,
    "activate": Partner.State.ACTIVE,
    "watch": Partner.State.ON_WATCH,
    "reinstate": Partner.State.ACTIVE,
    "phase_out": Partner.State.PHASED_OUT,
    "reapply": Partner.State.APPLIED,
}
REASONS = {
    "admit": "Meets the entry threshold; starts on probation.",
    "reject": "Does not meet the entry threshold.",
    "activate": "Probation passed: users rated its deliveries above expectation.",
    "watch": "User ratings fell under expectation for two months.",
    "reinstate": "Ratings back above expectation.",
    "phase_out": "Users wanted better solutions; the value they paid for kept falling.",
    "reapply": "Applied again with a new offer.",
}


def prebuilt_steps(partner) -> list[tuple[str, dt.date]]:
    """The lifecycle steps written with the organization: all but the history's (see
    `synth.history.timeline_steps`)."""
    later = timeline_steps(partner)
    return partner.steps[: len(partner.steps) - len(later)]


class _Audit:
    """Audit rows collected and written in bulk (the same rows `orgs.audit.audit_record` makes)."""

    def __init__(self, actor):
        self.actor_id = actor.pk
        self.rows: list[AuditEntry] = []
        self.types: dict = {}

    def add(self, action: str, target, changes: dict, reason: str = "") -> None:
        model = type(target)
        if model not in self.types:
            self.types[model] = ContentType.objects.get_for_model(model)
        self.rows.append(
            AuditEntry(
                actor_id=self.actor_id,
                action=action,
                content_type=self.types[model],
                object_id=str(target.pk),
                object_repr=str(target)[:255],
                changes=changes,
                reason=reason,
            )
        )

    def flush(self) -> None:
        AuditEntry.objects.bulk_create(self.rows, batch_size=BATCH)
        self.rows = []


def _pct(hundredths: int) -> Decimal:
    return Decimal(hundredths) / 100


def admin_user(username: str = ADMIN_USERNAME):
    """The platform admin the generator acts as; contracts it drafts are approved by a second
    one (`admin_user(APPROVER_USERNAME)`)."""
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username=username, defaults={"first_name": "Synthetic", "last_name": "Admin", "is_staff": True}
    )
    if created:
        admin.set_unusable_password()
        admin.save(update_fields=["password"])
    admin.groups.add(Group.objects.get(name=Role.PLATFORM_ADMIN))
    return admin


def expected_monthly_minor(plan: Plan, events: int) -> list[int]:
    """Each EMC's expected user-paid value per month for a history of `events` events."""
    counts = daily_counts(events, plan.first_day, plan.days)
    open_weight = [0.0] * len(plan.emcs)
    total_weight = 0.0
    for k, n in enumerate(counts):
        day = plan.first_day + dt.timedelta(days=k)
        live = [e for e, emc in enumerate(plan.emcs) if emc.formed_on <= day]
        weight = sum(plan.emcs[e].popularity for e in live)
        for e in live:
            share = n * plan.emcs[e].popularity / weight if weight else 0
            open_weight[e] += share
        total_weight += n
    mean_factor = sum(AMOUNT_FACTORS) / len(AMOUNT_FACTORS)
    out = []
    for e, emc in enumerate(plan.emcs):
        prices = [plan.categories[c][4] for s in emc.scenarios for c in plan.scenarios[s][2]]
        price = sum(prices) / len(prices)
        if emc.currency != "CNY":
            price = max(5, price // 7)
        out.append(max(100_00, int(open_weight[e] / 12 * price * mean_factor * 100)))
    return out


@transaction.atomic
def organization_write(*, plan: Plan, events: int, progress=lambda message: None) -> Ids:
    """Write the plan's organization (see the module docstring for what is bulk-created)."""
    admin = admin_user()
    audit = _Audit(admin)
    User = get_user_model()

    progress("people")
    User.objects.bulk_create(
        [
            User(username=name, first_name="Member", last_name=name[4:], password=UNUSABLE_PASSWORD)
            for name in plan.usernames
        ],
        batch_size=BATCH,
    )
    user_ids = dict(User.objects.filter(username__in=plan.usernames).values_list("username", "id"))
    member_group = Group.objects.get(name=Role.ME_MEMBER)
    leader_group = Group.objects.get(name=Role.ME_LEADER)
    through = User.groups.through
    leaders = {me.members[0][0] for me in plan.mes}
    through.objects.bulk_create(
        [through(user_id=pk, group_id=member_group.pk) for pk in user_ids.values()]
        + [through(user_id=user_ids[name], group_id=leader_group.pk) for name in sorted(leaders)],
        batch_size=BATCH,
    )

    progress("microenterprises")
    kinds = {k.code: k for k in MEKind.objects.all()}
    mes = Microenterprise.objects.bulk_create(
        [
            Microenterprise(
                code=m.code,
                name=m.name,
                kind=kinds[m.kind],
                status=m.status,
                leader_id=user_ids[m.members[0][0]],
                founded_on=m.founded_on,
            )
            for m in plan.mes
        ],
        batch_size=BATCH,
    )
    me_ids = dict(
        Microenterprise.objects.filter(code__in=[m.code for m in plan.mes]).values_list("code", "id")
    )
    for obj in mes:
        obj.pk = me_ids[obj.code]
    Membership.objects.bulk_create(
        [
            Membership(me_id=me.pk, user_id=user_ids[name], weight=_pct(w), joined_on=m.founded_on)
            for me, m in zip(mes, plan.mes, strict=True)
            for name, w in m.members
        ],
        batch_size=BATCH,
    )
    for me, m in zip(mes, plan.mes, strict=True):
        members = {name: str(_pct(w)) for name, w in m.members}
        audit.add(
            "me.create",
            me,
            {"kind": m.kind, "leader": m.members[0][0], "members": {"before": {}, "after": members}},
            "Synthetic ecosystem",
        )
        if m.status == "active":
            audit.add("me.activate", me, {"status": ["incubating", "active"]}, "Running business line")

    progress("catalogue")
    industries = dict(Industry.objects.filter(level=Industry.Level.CLASS).values_list("code", "id"))
    scenarios = Scenario.objects.bulk_create([Scenario(code=c, name=n) for c, n, _pool in plan.scenarios])
    categories = Category.objects.bulk_create(
        [
            Category(code=c, name=n, is_core=core, industry_id=industries[isic])
            for c, n, core, isic, _p in plan.categories
        ]
    )
    scenario_ids = dict(
        Scenario.objects.filter(code__in=[s[0] for s in plan.scenarios]).values_list("code", "id")
    )
    category_ids = dict(
        Category.objects.filter(code__in=[c[0] for c in plan.categories]).values_list("code", "id")
    )
    for obj in scenarios:
        obj.pk = scenario_ids[obj.code]
        audit.add("scenario.create", obj, {"code": obj.code})
    for obj, (_c, _n, core, isic, _p) in zip(categories, plan.categories, strict=True):
        obj.pk = category_ids[obj.code]
        audit.add("category.create", obj, {"is_core": core, "industry": isic})
    standards = {
        code: PlatformStandard.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in STANDARDS
    }
    resources = {
        code: PlatformResource.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in RESOURCES
    }

    progress("EMCs")
    emcs = EMC.objects.bulk_create(
        [
            EMC(code=e.code, name=e.name, kind=e.kind, lead_me_id=mes[e.lead].pk, formed_on=e.formed_on)
            for e in plan.emcs
        ],
        batch_size=BATCH,
    )
    emc_ids = dict(EMC.objects.filter(code__in=[e.code for e in plan.emcs]).values_list("code", "id"))
    for obj in emcs:
        obj.pk = emc_ids[obj.code]
    EMC.scenarios.through.objects.bulk_create(
        [
            EMC.scenarios.through(emc_id=obj.pk, scenario_id=scenarios[s].pk)
            for obj, e in zip(emcs, plan.emcs, strict=True)
            for s in e.scenarios
        ],
        batch_size=BATCH,
    )
    EMCNode.objects.bulk_create(
        [
            EMCNode(emc_id=obj.pk, me_id=mes[m].pk, share_weight=_pct(w), joined_on=e.formed_on)
            for obj, e in zip(emcs, plan.emcs, strict=True)
            for m, w in e.nodes
        ],
        batch_size=BATCH,
    )
    for obj, e in zip(emcs, plan.emcs, strict=True):
        audit.add(
            "emc.create",
            obj,
            {
                "kind": e.kind,
                "lead_me": mes[e.lead].code,
                "scenarios": [scenarios[s].code for s in e.scenarios],
                "nodes": {"before": {}, "after": {mes[m].code: str(_pct(w)) for m, w in e.nodes}},
            },
            "Synthetic ecosystem",
        )

    progress("partners")
    roles = {r.code: r.pk for r in PartnerRole.objects.all()}
    tiers = {t.code: t for t in PartnerTier.objects.all()}
    partner_rows = []
    for p in plan.partners:
        before = prebuilt_steps(p)
        state, since = Partner.State.APPLIED, p.applied_on
        for action, on in before:
            state, since = ACTION_STATE[action], on
        tier = p.tier_steps[-1][0] if p.tier_steps else TIERS[0]
        partner_rows.append(
            Partner(
                code=p.code,
                name=p.name,
                state=state,
                state_since=since,
                tier=tiers[tier],
                revenue_baseline_minor=p.baseline_minor,
                baseline_currency="CNY",
                contact_name=f"Contact {p.code}",
                contact_email=f"partners+{p.code}@synthetic.invalid",
                website=f"https://{p.code}.example",
                applied_on=p.applied_on,
            )
        )
    partners = Partner.objects.bulk_create(partner_rows, batch_size=BATCH)
    partner_ids = dict(
        Partner.objects.filter(code__in=[p.code for p in plan.partners]).values_list("code", "id")
    )
    for obj in partners:
        obj.pk = partner_ids[obj.code]
    Partner.roles.through.objects.bulk_create(
        [
            Partner.roles.through(partner_id=obj.pk, partnerrole_id=roles[r])
            for obj, p in zip(partners, plan.partners, strict=True)
            for r in p.roles
        ],
        batch_size=BATCH,
    )
    Partner.industries.through.objects.bulk_create(
        [
            Partner.industries.through(partner_id=obj.pk, industry_id=industries[code])
            for obj, p in zip(partners, plan.partners, strict=True)
            for code in p.industries
        ],
        batch_size=BATCH,
    )
    Partner.resources.through.objects.bulk_create(
        [
            Partner.resources.through(partner_id=obj.pk, platformresource_id=resources[code].pk)
            for obj, p in zip(partners, plan.partners, strict=True)
            for code in p.resources
        ],
        batch_size=BATCH,
    )
    transitions, certifications, participations = [], [], []
    for obj, p in zip(partners, plan.partners, strict=True):
        transitions.append(
            PartnerTransition(
                partner_id=obj.pk,
                from_value="",
                to_value=Partner.State.APPLIED,
                effective_on=p.applied_on,
                actor_id=admin.pk,
                reason="Application received.",
            )
        )
        audit.add(
            "partner.create",
            obj,
            {"state": [None, "applied"], "tier": TIERS[0], "roles": p.roles},
            "Application received.",
        )
        before = prebuilt_steps(p)
        state = Partner.State.APPLIED
        for action, on in before:
            to_state = ACTION_STATE[action]
            transitions.append(
                PartnerTransition(
                    partner_id=obj.pk,
                    from_value=state,
                    to_value=to_state,
                    effective_on=on,
                    actor_id=admin.pk,
                    reason=REASONS[action],
                )
            )
            changes = {"state": [state, to_state], "effective_on": on.isoformat()}
            if action == "phase_out":
                ended = sorted(plan.emcs[part.emc].code for part in p.participations if part.ended_on == on)
                if ended:
                    changes["emc_participations_ended"] = ended
            audit.add(f"partner.{action}", obj, changes, REASONS[action])
            state = to_state
        tier = TIERS[0]
        for new_tier, on in p.tier_steps:
            transitions.append(
                PartnerTransition(
                    partner_id=obj.pk,
                    kind=PartnerTransition.Kind.TIER,
                    from_value=tier,
                    to_value=new_tier,
                    effective_on=on,
                    actor_id=admin.pk,
                    reason="Delivery record and certification",
                )
            )
            audit.add(
                "partner.promote",
                obj,
                {"tier": [tier, new_tier], "effective_on": on.isoformat()},
                "Delivery record and certification",
            )
            tier = new_tier
        for code, on in p.certifications:
            expires = on + dt.timedelta(days=730)
            certifications.append(
                Certification(
                    partner_id=obj.pk, standard=standards[code], certified_on=on, expires_on=expires
                )
            )
            audit.add(
                "partner.certify",
                obj,
                {"standard": code, "certified_on": on.isoformat(), "expires_on": expires.isoformat()},
            )
        for part in p.participations:
            # a participation the history's phase-out will end stays open until then
            ended_on = None if p.exit_on is not None and part.ended_on == p.exit_on else part.ended_on
            emc = emcs[part.emc]
            participations.append(
                EMCParticipation(
                    emc_id=emc.pk, partner_id=obj.pk, started_on=part.started_on, ended_on=ended_on
                )
            )
            audit.add("emc.partner_join", emc, {"partner": p.code, "started_on": part.started_on.isoformat()})
            left_by_phase_out = any(a == "phase_out" and d == part.ended_on for a, d in p.steps)
            if ended_on is not None and not left_by_phase_out:
                audit.add(
                    "emc.partner_leave",
                    emc,
                    {"partner": p.code, "ended_on": ended_on.isoformat()},
                    "Its part in the scenario was done",
                )
    PartnerTransition.objects.bulk_create(transitions, batch_size=BATCH)
    Certification.objects.bulk_create(certifications, batch_size=BATCH)
    EMCParticipation.objects.bulk_create(participations, batch_size=BATCH)

    progress("solutions")
    solutions = Solution.objects.bulk_create(
        [Solution(scenario_id=scenarios[s.scenario].pk, code=s.code, name=s.name) for s in plan.solutions]
    )
    solution_ids = dict(
        Solution.objects.filter(code__in=[s.code for s in plan.solutions]).values_list("code", "id")
    )
    versions = []
    for obj, s in zip(solutions, plan.solutions, strict=True):
        obj.pk = solution_ids[obj.code]
        versions += [
            SolutionVersion(
                solution_id=obj.pk, number=n, released_on=on, notes="" if n == 1 else "Iteration with users"
            )
            for n, on in enumerate(s.releases, start=1)
        ]
        audit.add(
            "solution.create",
            obj,
            {
                "scenario": plan.scenarios[s.scenario][0],
                "categories": [plan.categories[c][0] for c in s.categories],
                "provider_mes": [mes[m].code for m in s.provider_mes],
                "provider_partners": [plan.partners[p].code for p in s.provider_partners],
            },
        )
        for n, on in enumerate(s.releases[1:], start=2):
            audit.add("solution.version_add", obj, {"version": n, "released_on": on.isoformat()})
    Solution.categories.through.objects.bulk_create(
        [
            Solution.categories.through(solution_id=obj.pk, category_id=categories[c].pk)
            for obj, s in zip(solutions, plan.solutions, strict=True)
            for c in s.categories
        ]
    )
    Solution.provider_mes.through.objects.bulk_create(
        [
            Solution.provider_mes.through(solution_id=obj.pk, microenterprise_id=mes[m].pk)
            for obj, s in zip(solutions, plan.solutions, strict=True)
            for m in s.provider_mes
        ]
    )
    Solution.provider_partners.through.objects.bulk_create(
        [
            Solution.provider_partners.through(solution_id=obj.pk, partner_id=partners[p].pk)
            for obj, s in zip(solutions, plan.solutions, strict=True)
            for p in s.provider_partners
        ]
    )
    SolutionVersion.objects.bulk_create(versions, batch_size=BATCH)
    audit.flush()

    progress("contracts")
    contracts_write(plan=plan, events=events, admin=admin, emcs=emcs, mes=mes, partners=partners)
    return Ids(
        mes=[me.pk for me in mes],
        emcs=[e.pk for e in emcs],
        scenarios=[s.pk for s in scenarios],
        solutions=[s.pk for s in solutions],
        categories=[c.pk for c in categories],
        partners=[p.pk for p in partners],
    )


def contracts_write(*, plan: Plan, events: int, admin, emcs, mes, partners) -> int:
    """Draft and approve every EMC's contract versions through the ledger's services."""
    approver = admin_user(APPROVER_USERNAME)
    expected = expected_monthly_minor(plan, events)
    count = 0
    for e, (emc, p) in enumerate(zip(emcs, plan.emcs, strict=True)):
        for start, shares, factor in p.contracts:
            target = max(100_00, expected[e] * factor // 100)
            draft = ledger_services.contract_draft_create(
                actor=admin,
                emc=emc,
                effective_from=start,
                currency=p.currency,
                period="month",
                platform_fee_pct=Decimal(p.fee_pct),
                target_minor=target,
                base_rate_pct=Decimal(p.base_rate_pct),
                floor_minor=target // 5,
                cap_minor=target * 3,
                holdback_pct=Decimal(p.holdback_pct),
                holdback_days=30,
                tiers=[
                    {"threshold_pct": 100, "rate_pct": Decimal(p.base_rate_pct)},
                    {"threshold_pct": 120, "rate_pct": Decimal(p.base_rate_pct) + 5},
                    {"threshold_pct": 150, "rate_pct": Decimal(p.base_rate_pct) + 10},
                ],
                partner_shares=[
                    {"partner": partners[k], "share_pct": Decimal(pct)} for k, pct in shares.items()
                ],
                node_shares=[{"me": mes[m], "share_pct": _pct(w)} for m, w in p.nodes],
                goals=[
                    {
                        "axis": "horizontal",
                        "metric": "user_paid_value",
                        "target": Decimal(target) / 100,
                        "unit": p.currency,
                    },
                    {"axis": "vertical", "metric": "lifelong_users", "target": Decimal(20), "unit": "users"},
                    {
                        "axis": "vertical",
                        "metric": "ecosystem_revenue",
                        "target": Decimal(target) / 400,
                        "unit": p.currency,
                    },
                ],
                notes="Synthetic contract: monthly target, tiers at 100/120/150% of target.",
            )
            ledger_services.contract_approve(actor=approver, contract=draft)
            count += 1
    return count


def ids_load(plan: Plan) -> Ids:
    """The ids of a written plan's rows, found by code (for a night on top of a history)."""

    def by_code(model, codes):
        found = dict(model.objects.filter(code__in=codes).values_list("code", "id"))
        return [found[c] for c in codes]

    return Ids(
        mes=by_code(Microenterprise, [m.code for m in plan.mes]),
        emcs=by_code(EMC, [e.code for e in plan.emcs]),
        scenarios=by_code(Scenario, [s[0] for s in plan.scenarios]),
        solutions=by_code(Solution, [s.code for s in plan.solutions]),
        categories=by_code(Category, [c[0] for c in plan.categories]),
        partners=by_code(Partner, [p.code for p in plan.partners]),
    )

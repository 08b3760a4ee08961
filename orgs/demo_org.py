"""The demo organization, built through the services so its history and audit trail are real.

A small Haier-like ecosystem: 15 MEs of the three kinds (with one split, one merge and one
dissolution), 6 EMCs of both kinds around five scenarios, core and non-core categories with
their ISIC classes, solutions with dated iterations, and 40 partners in every lifecycle state,
including the white paper's case: the smart-balcony EMC admitted the top 5 dryer brands, then
phased out 2 of them when users wanted better solutions.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from orgs import services
from orgs.models import (
    EMC,
    Industry,
    MEKind,
    Microenterprise,
    Partner,
    PartnerRole,
    PartnerTier,
    PlatformResource,
    PlatformStandard,
)
from orgs.roles import Role

MARKER_ME = "balcony-me"  # present once the demo organization is loaded

SCENARIOS = [
    ("smart-balcony", "Smart balcony", "Washing, drying and caring for clothes on the balcony."),
    ("smart-kitchen", "Smart kitchen", "Storing, cooking and eating well at home."),
    ("home-fitness", "Home fitness", "Training at home with connected equipment and coaching."),
    ("vaccine-cold-chain", "Vaccine cold chain", "Keeping vaccines cold from factory to village clinic."),
    ("laundry", "Laundry", "Clothes care as a service: washers, detergents, pick-up laundries."),
]
CATEGORIES = [  # code, name, core?, ISIC class
    ("washers", "Washing machines", True, "2750"),
    ("dryers", "Clothes dryers", True, "2750"),
    ("refrigerators", "Refrigerators", True, "2750"),
    ("vaccine-fridges", "Vaccine refrigerators", True, "2750"),
    ("smart-hangers", "Smart clothes hangers", False, "2599"),
    ("laundry-care", "Laundry and clothes care services", False, "9601"),
    ("fitness-gear", "Fitness equipment", False, "3230"),
    ("cold-storage", "Cold storage and logistics", False, "5210"),
    ("iot-services", "IoT platform services", False, "6311"),
    ("recipes", "Recipes and food content", False, "1079"),
]
STANDARDS = [
    ("iot-interop", "IoT interoperability"),
    ("service-quality", "Service quality"),
    ("data-security", "Data security"),
]
RESOURCES = [
    ("iot-cloud", "IoT cloud"),
    ("logistics-network", "Logistics network"),
    ("design-lab", "Design lab"),
    ("user-community", "User community"),
]
MES = [  # code, name, kind, members' weights (people taken from the pool in order)
    ("washers-me", "Washers", "transforming", [40, 30, 30]),
    ("fridges-me", "Refrigerators", "transforming", [50, 25, 25]),
    ("kitchen-me", "Kitchen experience", "transforming", [40, 30, 20, 10]),
    ("fitness-me", "Home fitness", "incubating", [60, 40]),
    ("coldchain-me", "Biomedical cold chain", "incubating", [50, 50]),
    ("laundry-app-me", "Laundry app", "incubating", [100]),
    ("design-node", "Industrial design", "node", [50, 50]),
    ("mfg-node", "Interconnected factory", "node", [40, 30, 30]),
    ("logistics-node", "Logistics", "node", [60, 40]),
    ("service-node", "Installation and service", "node", [50, 50]),
    ("iot-node", "IoT platform", "node", [70, 30]),
    ("sales-node", "Sales", "node", [100]),
    ("supply-node", "Supply", "node", [100]),
]
DRYER_BRANDS = ["Aurora Dryers", "Breeze Appliances", "Cumulus Home", "Drift Laundry Tech", "Ember Dry"]
PARTNERS = [  # name, role codes, ISIC classes, tier, final state
    ("Atlas Telecom", ["iaas-network"], ["6110"], "platinum", "active"),
    ("Beacon IoT", ["iot-service"], ["6311"], "gold", "active"),
    ("Cirrus Apps", ["app-developer"], ["6201"], "silver", "active"),
    ("Delta Integrators", ["solution-integrator"], ["6201", "3320"], "gold", "active"),
    ("Evergreen Consulting", ["consulting"], ["7020"], "registered", "active"),
    ("FastLane Logistics", ["logistics"], ["4923"], "silver", "active"),
    ("Forma Design", ["design"], ["7410"], "silver", "active"),
    ("GymPro Equipment", ["product-service"], ["3230"], "gold", "active"),
    ("Harbor Cold Storage", ["logistics", "product-service"], ["5210"], "gold", "active"),
    ("Iris Sensors", ["technology"], ["2651"], "silver", "active"),
    ("Jade Kitchenware", ["product-service"], ["2750"], "registered", "on_watch"),
    (
        "Kite Fitness Coaching",
        ["app-developer", "product-service"],
        ["9311", "8549"],
        "registered",
        "on_watch",
    ),
    ("Lumen Lighting", ["product-service"], ["2740"], "registered", "probation"),
    ("Metro Laundries", ["product-service"], ["9601"], "silver", "active"),
    ("Nimbus Cloud", ["iaas-network", "iot-service"], ["6311"], "gold", "probation"),
    ("Orchid Recipes", ["app-developer"], ["1079", "6201"], "registered", "probation"),
    ("Pioneer Repairs", ["product-service"], ["3312"], "registered", "phased_out"),
    ("Quartz Wholesale", ["product-service"], ["4610"], "registered", "phased_out"),
    ("Ridge Vaccines Transport", ["logistics"], ["4923", "5210"], "silver", "active"),
    ("Sage Detergents", ["product-service"], ["9601"], "registered", "applied"),
    ("Tundra Fridge Parts", ["product-service", "technology"], ["2750"], "registered", "applied"),
    ("Umbra Smart Hangers", ["product-service"], ["2599"], "registered", "active"),
    ("Vista Food Machines", ["product-service"], ["2825"], "registered", "applied"),
    ("Willow Wellness", ["consulting"], ["8549"], "registered", "rejected"),
    ("Xenon Apps", ["app-developer"], ["6201"], "registered", "rejected"),
    ("Yarrow Textiles Care", ["product-service"], ["9601"], "registered", "probation"),
    ("Zephyr Air Care", ["product-service"], ["2750"], "registered", "applied"),
    ("Amber Analytics", ["technology", "consulting"], ["6311", "7020"], "silver", "active"),
    ("Bolt Installers", ["product-service"], ["3320"], "registered", "on_watch"),
    ("Crest Packaging", ["logistics"], ["5210"], "registered", "phased_out"),
    ("Dune Telecom", ["iaas-network"], ["6110"], "registered", "rejected"),
    ("Echo Smart Speakers", ["product-service", "technology"], ["2651"], "silver", "applied"),
    ("Fable Content Studio", ["app-developer", "design"], ["7410"], "registered", "probation"),
    ("Glacier Medical Fridges", ["product-service"], ["2750"], "gold", "active"),
    ("Helix Robotics", ["technology"], ["2651", "6201"], "registered", "on_watch"),
]
# path through the lifecycle to each final state
PATHS = {
    "applied": [],
    "probation": ["admit"],
    "active": ["admit", "activate"],
    "on_watch": ["admit", "activate", "watch"],
    "phased_out": ["admit", "activate", "phase_out"],
    "rejected": ["reject"],
}
REASONS = {
    "admit": "Meets the entry threshold; starts on probation.",
    "activate": "Probation passed: users rated its deliveries above expectation.",
    "watch": "User ratings fell under expectation for two months.",
    "phase_out": "Users wanted better solutions; value they paid for kept falling.",
    "reject": "Does not meet the entry threshold (no certification path).",
}


def _pool(n: int) -> list:
    """Demo employees (no password: they never log in), with the ME member role."""
    User = get_user_model()
    group = Group.objects.get(name=Role.ME_MEMBER)
    people = []
    for i in range(1, n + 1):
        user, created = User.objects.get_or_create(
            username=f"emp{i:02d}",
            defaults={"first_name": f"Employee {i:02d}", "email": f"emp{i:02d}@demo.invalid"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(group)
        people.append(user)
    return people


def _members(people, weights):
    return [{"user": p, "weight": w} for p, w in zip(people, weights, strict=True)]


@transaction.atomic
def demo_org_load(*, users, progress) -> str:
    """Build the demo organization once (a second call returns at once)."""
    if Microenterprise.objects.filter(code=MARKER_ME).exists():
        return "demo organization already loaded"
    admin = users["admin"]
    today = timezone.localdate()
    start = today - dt.timedelta(days=420)

    def day(offset: int) -> dt.date:
        return start + dt.timedelta(days=offset)

    progress("orgs: reference data")
    scenarios = {
        c: services.scenario_create(actor=admin, code=c, name=n, description=d) for c, n, d in SCENARIOS
    }
    industries = {i.code: i for i in Industry.objects.filter(level=Industry.Level.CLASS)}
    categories = {
        c: services.category_create(actor=admin, code=c, name=n, is_core=core, industry=industries.get(isic))
        for c, n, core, isic in CATEGORIES
    }
    standards = [
        services.reference_save(actor=admin, instance=PlatformStandard(code=c, name=n)) for c, n in STANDARDS
    ]
    resources = [
        services.reference_save(actor=admin, instance=PlatformResource(code=c, name=n)) for c, n in RESOURCES
    ]

    progress("orgs: microenterprises")
    kinds = {k.code: k for k in MEKind.objects.all()}
    people = _pool(40)
    cursor = 0
    mes = {}
    for code, name, kind, weights in MES:
        members = _members(people[cursor : cursor + len(weights)], weights)
        cursor += len(weights)
        me = services.me_create(
            actor=admin,
            code=code,
            name=name,
            kind=kinds[kind],
            leader=members[0]["user"],
            founded_on=day(0),
            members=members,
            reason="Demo organization",
        )
        if kind != "incubating":
            services.me_activate(me=me, actor=admin, reason="Running business line")
        mes[code] = me
    leader, member = users["leader"], users["member"]
    balcony = services.me_create(
        actor=admin,
        code=MARKER_ME,
        name="Smart balcony",
        kind=kinds["incubating"],
        leader=leader,
        founded_on=day(0),
        members=_members([leader, member, people[cursor]], [40, 35, 25]),
        reason="New venture around the balcony",
    )
    cursor += 1
    services.me_activate(me=balcony, actor=admin, reason="First users paid for the balcony solution")
    mes[MARKER_ME] = balcony
    for code in ("fitness-me", "coldchain-me"):
        services.me_activate(me=mes[code], actor=admin, reason="Passed its first value-adjustment milestone")

    progress("orgs: EMCs")

    def emc(code, name, kind, lead, scenario_codes, nodes, formed):
        return services.emc_create(
            actor=admin,
            code=code,
            name=name,
            kind=kind,
            lead_me=mes[lead],
            formed_on=day(formed),
            scenarios=[scenarios[s] for s in scenario_codes],
            nodes=[{"me": mes[m], "share_weight": w, "obligations": o} for m, w, o in nodes],
            reason="Demo organization",
        )

    emcs = {
        "balcony-exp": emc(
            "balcony-exp",
            "Smart balcony experience",
            "experience",
            MARKER_ME,
            ["smart-balcony"],
            [
                (MARKER_ME, 50, "Face balcony users; run the co-creation community"),
                ("service-node", 30, "Install within 24 h"),
                ("sales-node", 20, "Store touchpoints"),
            ],
            10,
        ),
        "balcony-sol": emc(
            "balcony-sol",
            "Smart balcony solutions",
            "solution",
            "washers-me",
            ["smart-balcony", "laundry"],
            [
                ("washers-me", 40, "Washer-dryer sets"),
                ("design-node", 20, "Balcony layout design"),
                ("mfg-node", 25, "Build to order"),
                ("iot-node", 15, "Connect every device"),
            ],
            10,
        ),
        "kitchen-exp": emc(
            "kitchen-exp",
            "Smart kitchen experience",
            "experience",
            "kitchen-me",
            ["smart-kitchen"],
            [("kitchen-me", 60, "Cooking community and recipes"), ("fridges-me", 40, "Fresh-keeping")],
            20,
        ),
        "fitness-exp": emc(
            "fitness-exp",
            "Home fitness experience",
            "experience",
            "fitness-me",
            ["home-fitness"],
            [("fitness-me", 70, "Training programmes"), ("logistics-node", 30, "Deliver and set up")],
            60,
        ),
        "coldchain-sol": emc(
            "coldchain-sol",
            "Vaccine cold chain solutions",
            "solution",
            "coldchain-me",
            ["vaccine-cold-chain"],
            [
                ("coldchain-me", 60, "Vaccine fridges and monitoring"),
                ("iot-node", 20, "Temperature telemetry"),
                ("logistics-node", 20, "Last-mile cold transport"),
            ],
            30,
        ),
        "laundry-sol": emc(
            "laundry-sol",
            "Laundry solutions",
            "solution",
            "washers-me",
            ["laundry"],
            [("washers-me", 70, "Washers"), ("supply-node", 30, "Detergent supply")],
            30,
        ),
    }

    progress("orgs: partners")
    roles = {r.code: r for r in PartnerRole.objects.all()}
    tiers = {t.code: t for t in PartnerTier.objects.all()}
    partners = {}

    def walk(partner, final, first_day):
        for step, action in enumerate(PATHS[final], start=1):
            services.partner_act(
                partner=partner,
                action=action,
                actor=admin,
                reason=REASONS[action],
                effective_on=day(first_day + 30 * step),
            )

    def make(i, name, role_codes, isic, tier, applied_offset):
        code = name.lower().replace(" ", "-")
        return services.partner_create(
            actor=admin,
            code=code,
            name=name,
            roles=[roles[r] for r in role_codes],
            tier=tiers["registered"],
            industries=[industries[c] for c in isic if c in industries],
            resources=resources[: 1 + i % 3],
            revenue_baseline_minor=(i + 1) * 1_500_000_00,
            baseline_currency="CNY",
            contact_name=f"Contact {i + 1}",
            contact_email=f"partners+{code}@demo.invalid",
            website=f"https://{code}.example",
            applied_on=day(applied_offset),
        ), tier

    # the white paper's case: the balcony EMCs admitted the top 5 dryer brands...
    for i, name in enumerate(DRYER_BRANDS):
        partner, _tier = make(i, name, ["product-service"], ["2750"], "gold", 40)
        walk(partner, "active", 40)
        for code in ("balcony-sol", "balcony-exp"):
            services.emc_partner_join(
                emc=emcs[code], partner=partner, actor=admin, on=day(100), note="Top-5 dryer brand"
            )
        services.partner_tier_change(
            partner=partner,
            tier=tiers["gold"],
            actor=admin,
            reason="Top-5 dryer brand by market share",
            effective_on=day(100),
        )
        partners[name] = partner
    # ...then phased out 2 when users wanted better solutions
    for name in DRYER_BRANDS[3:]:
        services.partner_phase_out(
            partner=partners[name],
            actor=admin,
            reason=REASONS["phase_out"],
            evidence="Share of ratings above expectation 38% vs 71% for the other dryers; "
            "user-paid value down 3 months in a row",
            effective_on=today - dt.timedelta(days=60),
        )

    emc_for_role = {
        "logistics": "coldchain-sol",
        "iot-service": "balcony-sol",
        "iaas-network": "coldchain-sol",
        "app-developer": "kitchen-exp",
        "design": "balcony-sol",
        "technology": "fitness-exp",
        "consulting": "laundry-sol",
        "solution-integrator": "balcony-sol",
        "product-service": "laundry-sol",
    }
    for i, (name, role_codes, isic, tier, final) in enumerate(PARTNERS, start=len(DRYER_BRANDS)):
        partner, tier = make(i, name, role_codes, isic, tier, 20 + i * 3)
        partners[name] = partner
        pre_exit = {"phased_out": "active", "on_watch": "active"}.get(final, final)
        walk(partner, pre_exit, 20 + i * 3)
        if pre_exit in ("active", "probation"):
            services.emc_partner_join(
                emc=emcs[emc_for_role[role_codes[0]]], partner=partner, actor=admin, on=day(20 + i * 3 + 70)
            )
        if tier != "registered":
            services.partner_tier_change(
                partner=partner,
                tier=tiers[tier],
                actor=admin,
                reason="Delivery record and certification",
                effective_on=day(300),
            )
        if final == "on_watch":
            services.partner_act(
                partner=partner,
                action="watch",
                actor=admin,
                reason=REASONS["watch"],
                effective_on=today - dt.timedelta(days=30),
            )
        elif final == "phased_out":
            services.partner_phase_out(
                partner=partner,
                actor=admin,
                reason=REASONS["phase_out"],
                effective_on=today - dt.timedelta(days=20),
            )
        if final in ("active", "on_watch") and i % 2 == 0:
            services.partner_certify(
                partner=partner,
                standard=standards[i % len(standards)],
                actor=admin,
                certified_on=day(320),
                expires_on=day(320 + 730),
            )
    # the nightly job's kind of suggestions, waiting for an admin
    services.partner_proposal_create(
        partner=partners["Helix Robotics"],
        to_state=Partner.State.PHASED_OUT,
        reason="Ratings under expectation for 90 days while on watch",
        evidence={"rating_share_above_expectation": 0.31, "days_on_watch": 30},
        source="nightly",
    )
    services.partner_proposal_create(
        partner=partners["Cumulus Home"],
        to_state=Partner.State.ON_WATCH,
        reason="User-paid value fell 18% over the last period",
        evidence={"value_change": -0.18},
        source="nightly",
    )

    progress("orgs: solutions")
    sol = services.solution_create(
        actor=admin,
        scenario=scenarios["smart-balcony"],
        code="balcony-drying",
        name="Balcony drying suite",
        categories=[categories["dryers"], categories["smart-hangers"], categories["iot-services"]],
        provider_mes=[mes["washers-me"], balcony],
        provider_partners=[partners[n] for n in DRYER_BRANDS[:3]] + [partners["Umbra Smart Hangers"]],
        first_version_on=day(120),
        notes="Dryer + smart hanger bundle",
    )
    for offset, note in ((210, "Quieter drying cycle"), (270, "Hanger follows the sun"), (315, "App scenes")):
        services.solution_version_add(solution=sol, actor=admin, released_on=day(offset), notes=note)
    washer = services.solution_create(
        actor=admin,
        scenario=scenarios["laundry"],
        code="yunxi-washer",
        name="Yunxi washer care",
        categories=[categories["washers"], categories["laundry-care"]],
        provider_mes=[mes["washers-me"]],
        provider_partners=[partners["Metro Laundries"]],
        first_version_on=day(60),
        notes="First release",
    )
    # iterations speed up with users: 3 months → 2 months → 45 days
    for offset, note in (
        (150, "Co-created wool programme"),
        (210, "Detergent auto-dosing"),
        (255, "Pick-up service"),
    ):
        services.solution_version_add(solution=washer, actor=admin, released_on=day(offset), notes=note)
    services.solution_create(
        actor=admin,
        scenario=scenarios["smart-kitchen"],
        code="fresh-kitchen",
        name="Fresh kitchen",
        categories=[categories["refrigerators"], categories["recipes"]],
        provider_mes=[mes["fridges-me"], mes["kitchen-me"]],
        provider_partners=[partners["Orchid Recipes"]],
        first_version_on=day(90),
    )
    services.solution_create(
        actor=admin,
        scenario=scenarios["vaccine-cold-chain"],
        code="village-cold-chain",
        name="Village clinic cold chain",
        categories=[categories["vaccine-fridges"], categories["cold-storage"]],
        provider_mes=[mes["coldchain-me"]],
        provider_partners=[partners["Ridge Vaccines Transport"], partners["Glacier Medical Fridges"]],
        first_version_on=day(100),
    )
    services.solution_create(
        actor=admin,
        scenario=scenarios["home-fitness"],
        code="home-gym",
        name="Home gym",
        categories=[categories["fitness-gear"]],
        provider_mes=[mes["fitness-me"]],
        provider_partners=[partners["GymPro Equipment"]],
        first_version_on=day(150),
    )

    progress("orgs: splits, merges, dissolutions")
    kitchen_people = [
        m.user for m in mes["kitchen-me"].memberships.filter(left_on__isnull=True).order_by("-weight")
    ]
    services.me_split(
        me=mes["kitchen-me"],
        actor=admin,
        on=day(360),
        reason="Cooking and food storage users diverged",
        children=[
            {
                "code": "kitchen-cooking",
                "name": "Kitchen: cooking",
                "leader": kitchen_people[0],
                "members": _members(kitchen_people[:2], [60, 40]),
            },
            {
                "code": "kitchen-storage",
                "name": "Kitchen: fresh storage",
                "leader": kitchen_people[2],
                "members": _members(kitchen_people[2:], [50, 50]),
            },
        ],
    )
    services.me_merge(
        parents=[mes["sales-node"], mes["supply-node"]],
        actor=admin,
        code="channel-node",
        name="Channel (sales and supply)",
        kind=kinds["node"],
        on=day(380),
        reason="One touchpoint for stores and supply",
        leader=people[cursor - 2],
    )
    services.me_dissolve(
        me=mes["laundry-app-me"],
        actor=admin,
        on=day(390),
        reason="Users preferred the laundry service inside the washer app",
    )
    wardrobe = services.emc_create(
        actor=admin,
        code="wardrobe-exp",
        name="Smart wardrobe experience",
        kind=EMC.Kind.EXPERIENCE,
        lead_me=mes["design-node"],
        formed_on=day(50),
        scenarios=[scenarios["smart-balcony"]],
        reason="Trial",
    )
    services.emc_disband(
        emc=wardrobe, actor=admin, on=day(200), reason="Users did not take to the wardrobe scenario"
    )

    me_count, emc_count, partner_count = (
        Microenterprise.objects.count(),
        EMC.objects.count(),
        Partner.objects.count(),
    )
    return (
        f"{me_count} MEs, {emc_count} EMCs, {partner_count} partners "
        f"(2 of the 5 balcony dryer brands phased out), {sol.__class__.objects.count()} solutions"
    )

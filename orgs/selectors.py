"""Reads for the organization: each selector owns its filtering and related-object loading,
so list pages and list APIs cost a constant number of queries whatever the data size."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from orgs import date_rules
from orgs.audit import audit_for
from orgs.models import (
    EMC,
    AuditEntry,
    EMCNode,
    EMCParticipation,
    Membership,
    Microenterprise,
    Partner,
    PartnerProposal,
    PartnerTransition,
    PartnerUser,
    ResourceUse,
    Solution,
)
from orgs.roles import ROLES_OUTSIDE_MES, Role

# the network graph draws at most this many EMCs at once: Cytoscape stays fluid up to a few
# thousand elements, and 60 EMCs with their MEs and partners is about that many
NETWORK_MAX_EMCS = 60


def dashboard_summary(*, user) -> dict:
    """Headline counts for the dashboard, in three aggregate queries."""
    mes = Microenterprise.objects.aggregate(
        total=Count("id"), live=Count("id", filter=Q(status__in=Microenterprise.LIVE_STATUSES))
    )
    emcs = EMC.objects.aggregate(
        total=Count("id"),
        experience=Count("id", filter=Q(kind=EMC.Kind.EXPERIENCE, status=EMC.Status.ACTIVE)),
        solution=Count("id", filter=Q(kind=EMC.Kind.SOLUTION, status=EMC.Status.ACTIVE)),
    )
    partners = dict(Partner.objects.values_list("state").annotate(n=Count("id")).order_by())
    led = (
        list(Microenterprise.objects.filter(leader=user).values("code", "name"))
        if user.is_authenticated
        else []
    )
    return {"mes": mes, "emcs": emcs, "partners_by_state": partners, "led_mes": led}


# --- for the ledger ----------------------------------------------------------------------------


def partners_creditable_in_emc(*, emc_id: int, on: dt.date) -> QuerySet[Partner]:
    """Partners creditable in the EMC on `on` (orgs.date_rules): a participation covering the
    day and a creditable state."""
    covering = EMCParticipation.objects.filter(
        date_rules.participation_q(on), emc_id=emc_id, partner=OuterRef("pk")
    )
    return Partner.objects.filter(Exists(covering), date_rules.partner_creditable_q())


def me_emcs(*, me: Microenterprise, on: dt.date | None = None) -> QuerySet[EMC]:
    """EMCs the ME is seated in on `on` (default today): it leads them or holds a node seat."""
    on = on or timezone.localdate()
    return EMC.objects.filter(date_rules.me_seated_q(me.pk, on)).distinct().order_by("code")


# --- people -----------------------------------------------------------------------------------


def me_people() -> QuerySet:
    """Active users who may lead or belong to an ME (no partner, finance or auditor role): the pickers."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(groups__name__in=ROLES_OUTSIDE_MES)
        .order_by("username")
    )


def unassigned_people() -> QuerySet:
    """Users holding an ME role (member or leader) but no open membership: the unassigned pool."""
    User = get_user_model()
    open_membership = Membership.objects.filter(user=OuterRef("pk"), left_on__isnull=True)
    return (
        User.objects.filter(is_active=True, groups__name__in=[Role.ME_MEMBER, Role.ME_LEADER])
        .exclude(Exists(open_membership))
        .distinct()
        .order_by("username")
    )


# --- microenterprises ----------------------------------------------------------------------


def me_list() -> QuerySet[Microenterprise]:
    return (
        Microenterprise.objects.select_related("kind", "leader")
        .annotate(
            member_count=Count("memberships", filter=Q(memberships__left_on__isnull=True), distinct=True),
            emc_count=Count("emc_nodes", filter=Q(emc_nodes__left_on__isnull=True), distinct=True),
        )
        .order_by("code")
    )


def me_detail(*, code: str) -> Microenterprise:
    return (
        Microenterprise.objects.select_related("kind", "leader")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by(
                    "left_on", "-weight", "user__username"
                ),
            ),
        )
        .get(code=code)
    )


def me_lineage(*, me: Microenterprise) -> dict:
    """Where the ME came from and what it became."""
    return {
        "parents": list(me.parent_links.select_related("parent").order_by("parent__code")),
        "children": list(me.child_links.select_related("child").order_by("child__code")),
    }


def me_emc_seats(*, me: Microenterprise) -> QuerySet[EMCNode]:
    return me.emc_nodes.select_related("emc").order_by("left_on", "emc__code")


# --- EMCs ---------------------------------------------------------------------------------


def _count_of(queryset) -> Coalesce:
    """A correlated COUNT subquery: evaluated for the rows of the page only, where a
    Count() join would aggregate every EMC's nodes and participations before paginating."""
    counted = queryset.order_by().values("emc").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def emc_list() -> QuerySet[EMC]:
    return (
        EMC.objects.select_related("lead_me")
        .prefetch_related("scenarios")
        .annotate(
            node_count=_count_of(EMCNode.objects.filter(emc=OuterRef("pk"), left_on__isnull=True)),
            partner_count=_count_of(
                EMCParticipation.objects.filter(
                    emc=OuterRef("pk"), ended_on__isnull=True, partner__state__in=Partner.CREDITABLE_STATES
                )
            ),
        )
        .order_by("code")
    )


def emc_detail(*, code: str) -> EMC:
    return (
        EMC.objects.select_related("lead_me", "split_from")
        .prefetch_related("scenarios", "split_into")
        .get(code=code)
    )


def emc_nodes(*, emc: EMC) -> QuerySet[EMCNode]:
    return emc.nodes.select_related("me").order_by("left_on", "-share_weight", "me__code")


def emc_participations(*, emc: EMC) -> QuerySet[EMCParticipation]:
    """All participations, the open ones of creditable partners first."""
    return emc.participations.select_related("partner", "partner__tier").order_by("ended_on", "partner__name")


def emc_solutions(*, emc: EMC) -> QuerySet[Solution]:
    return (
        Solution.objects.filter(scenario__emcs=emc)
        .select_related("scenario")
        .prefetch_related("categories")
        .annotate(version_count=Count("versions", distinct=True))
        .distinct()
    )


# --- partners -----------------------------------------------------------------------------


def partner_list() -> QuerySet[Partner]:
    return Partner.objects.select_related("tier").prefetch_related("roles", "industries")


def partner_detail(*, code: str) -> Partner:
    return (
        Partner.objects.select_related("tier")
        .prefetch_related("roles", "industries", "resources", "certifications__standard")
        .get(code=code)
    )


def partner_timeline(*, partner: Partner) -> QuerySet[PartnerTransition]:
    return partner.transitions.select_related("actor", "proposal").order_by("-at", "-id")


def partner_participations(*, partner: Partner) -> QuerySet[EMCParticipation]:
    return partner.participations.select_related("emc").order_by("ended_on", "emc__code")


def partner_resource_uses(*, partner: Partner) -> QuerySet[ResourceUse]:
    """The partner's uses of platform resources, open ones first."""
    return partner.resource_uses.select_related("resource").order_by(
        "ended_on", "resource__name", "-started_on"
    )


def resource_uses() -> QuerySet[ResourceUse]:
    return ResourceUse.objects.select_related("partner", "resource")


def proposal_list() -> QuerySet[PartnerProposal]:
    return PartnerProposal.objects.select_related("partner", "decided_by")


# --- audit --------------------------------------------------------------------------------


def audit_list() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor", "content_type")


def audit_of(*, target, limit: int = 50) -> list[AuditEntry]:
    return list(audit_for(target)[:limit])


# --- the network graph --------------------------------------------------------------------


def network_graph(
    *,
    emc_codes=None,
    scenario_code: str | None = None,
    include_ended: bool = False,
    limit: int = NETWORK_MAX_EMCS,
) -> dict:
    """Nodes (EMCs, MEs, partners) and edges (node seats, participations) for Cytoscape, for at
    most `limit` EMCs (filtered by code or scenario), in four queries whatever the data size."""
    emcs = EMC.objects.all() if include_ended else EMC.objects.filter(status=EMC.Status.ACTIVE)
    if emc_codes:
        emcs = emcs.filter(code__in=emc_codes)
    if scenario_code:
        emcs = emcs.filter(scenarios__code=scenario_code).distinct()
    total = emcs.count()
    emc_rows = list(
        emcs.order_by("code").values("id", "code", "name", "kind", "status", "lead_me_id")[:limit]
    )
    emc_ids = [e["id"] for e in emc_rows]
    seats = EMCNode.objects.filter(emc_id__in=emc_ids)
    parts = EMCParticipation.objects.filter(emc_id__in=emc_ids)
    if not include_ended:
        seats = seats.filter(left_on__isnull=True)
        parts = parts.filter(ended_on__isnull=True)
    seat_rows = list(
        seats.values("emc_id", "me_id", "me__code", "me__name", "me__status", "share_weight", "left_on")
    )
    part_rows = list(
        parts.values("emc_id", "partner_id", "partner__code", "partner__name", "partner__state", "ended_on")
    )
    nodes, edges, seen = [], [], set()
    for e in emc_rows:
        nodes.append(
            {
                "data": {
                    "id": f"emc-{e['id']}",
                    "label": e["code"],
                    "name": e["name"],
                    "type": "emc",
                    "kind": e["kind"],
                    "status": e["status"],
                    "url": EMC(code=e["code"]).get_absolute_url(),
                }
            }
        )
    for s in seat_rows:
        me_id = f"me-{s['me_id']}"
        if me_id not in seen:
            seen.add(me_id)
            nodes.append(
                {
                    "data": {
                        "id": me_id,
                        "label": s["me__code"],
                        "name": s["me__name"],
                        "type": "me",
                        "status": s["me__status"],
                        "url": Microenterprise(code=s["me__code"]).get_absolute_url(),
                    }
                }
            )
        edges.append(
            {
                "data": {
                    "id": f"seat-{s['emc_id']}-{s['me_id']}-{len(edges)}",
                    "source": me_id,
                    "target": f"emc-{s['emc_id']}",
                    "type": "node",
                    "weight": str(s["share_weight"]),
                    "ended": s["left_on"] is not None,
                }
            }
        )
    for p in part_rows:
        partner_id = f"partner-{p['partner_id']}"
        if partner_id not in seen:
            seen.add(partner_id)
            nodes.append(
                {
                    "data": {
                        "id": partner_id,
                        "label": p["partner__name"],
                        "name": p["partner__name"],
                        "type": "partner",
                        "state": p["partner__state"],
                        "url": Partner(code=p["partner__code"]).get_absolute_url(),
                    }
                }
            )
        edges.append(
            {
                "data": {
                    "id": f"part-{p['emc_id']}-{p['partner_id']}-{len(edges)}",
                    "source": partner_id,
                    "target": f"emc-{p['emc_id']}",
                    "type": "participation",
                    "ended": p["ended_on"] is not None,
                }
            }
        )
    return {"nodes": nodes, "edges": edges, "emc_total": total, "emc_shown": len(emc_rows), "limit": limit}


def partner_of_user(*, user) -> Partner | None:
    """The partner a partner user acts for (cached on the user for the request), or None."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_partner_of"):
        link = PartnerUser.objects.select_related("partner").filter(user=user).first()
        user._partner_of = link.partner if link else None
    return user._partner_of


def api_tokens(*, q: str = "") -> QuerySet:
    """Every user's API token with its user (for admins; the key itself is never shown)."""
    from rest_framework.authtoken.models import Token

    qs = Token.objects.select_related("user").only("user_id", "created", "user__username", "user__email")
    if q:
        qs = qs.filter(user__username__icontains=q.strip()[:150])
    return qs.order_by("user__username")

"""REST endpoints for the organization: viewsets that parse, check the rule, call a service."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from config.api import NumericIds, error_body
from config.filters import StrictFilterBackend
from config.permissions import HasRulePermission
from config.uploads import upload_refusal
from config.values import boolean_parse, integer_parse
from orgs import selectors, services
from orgs.api import serializers as s
from orgs.filters import AuditFilter, EMCFilter, MEFilter, PartnerFilter, ProposalFilter
from orgs.models import EMC, Category, Industry, Membership, Partner, Scenario, Solution
from orgs.selectors import NETWORK_MAX_EMCS
from orgs.services.resource_import import ResourceImportRefused


def _members_prefetch() -> Prefetch:
    return Prefetch(
        "memberships", queryset=Membership.objects.select_related("user").order_by("left_on", "-weight")
    )


def _parse(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class RuleViewSet(NumericIds, viewsets.GenericViewSet):
    permission_classes = [HasRulePermission]
    permission_required = "orgs.view"
    write_permission = "orgs.manage"
    filter_backends = [StrictFilterBackend, OrderingFilter]


class ReadOnlyRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RuleViewSet):
    pass


@extend_schema_view(
    list=extend_schema(summary="List microenterprises", responses=s.MEOut(many=True)),
    retrieve=extend_schema(summary="One microenterprise with members and lineage", responses=s.MEDetailOut),
)
class MEViewSet(ReadOnlyRuleViewSet):
    filterset_class = MEFilter
    ordering_fields = ["code", "name", "founded_on"]

    @property
    def write_permission(self):
        return "orgs.manage_me_members" if self.action == "members" else "orgs.manage"

    @property
    def object_level_write(self):
        return self.action == "members"

    def get_queryset(self):
        if self.action in ("list", None):
            return selectors.me_list()
        return selectors.me_list().prefetch_related(_members_prefetch())

    def get_serializer_class(self):
        return s.MEDetailOut if self.action == "retrieve" else s.MEOut

    def _detail(self, me, code=status.HTTP_200_OK):
        me = selectors.me_list().prefetch_related(_members_prefetch()).get(pk=me.pk)
        return Response(s.MEDetailOut(me).data, status=code)

    @extend_schema(summary="Create a microenterprise", request=s.MECreateIn, responses={201: s.MEDetailOut})
    def create(self, request):
        data = _parse(s.MECreateIn, request)
        me = services.me_create(actor=request.user, **data)
        return self._detail(me, status.HTTP_201_CREATED)

    @extend_schema(summary="Activate an incubating ME", request=s.ReasonIn, responses=s.MEDetailOut)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        data = _parse(s.ReasonIn, request)
        return self._detail(
            services.me_activate(me=self.get_object(), actor=request.user, reason=data["reason"])
        )

    @extend_schema(
        summary="Replace the ME's members and pay-share weights (the leader or an admin)",
        description="The whole new set; weights are percentages summing to exactly 100.",
        request=s.MembersSetIn,
        responses=s.MEDetailOut,
    )
    @action(detail=True, methods=["put"])
    def members(self, request, pk=None):
        me = self.get_object()
        data = _parse(s.MembersSetIn, request)
        return self._detail(services.me_members_set(me=me, actor=request.user, **data))

    @extend_schema(
        summary="Split an ME into new MEs", request=s.MESplitIn, responses={201: s.MEOut(many=True)}
    )
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        data = _parse(s.MESplitIn, request)
        children = services.me_split(me=self.get_object(), actor=request.user, **data)
        return Response(s.MEOut(children, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Merge MEs into a new one", request=s.MEMergeIn, responses={201: s.MEDetailOut})
    @action(detail=False, methods=["post"])
    def merge(self, request):
        data = _parse(s.MEMergeIn, request)
        return self._detail(services.me_merge(actor=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Dissolve an ME (members return to the unassigned pool)",
        request=s.ReasonIn,
        responses=s.MEDetailOut,
    )
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        data = _parse(s.ReasonIn, request)
        return self._detail(services.me_dissolve(me=self.get_object(), actor=request.user, **data))


@extend_schema_view(
    list=extend_schema(summary="List EMCs", responses=s.EMCOut(many=True)),
    retrieve=extend_schema(summary="One EMC with nodes and partners", responses=s.EMCDetailOut),
)
class EMCViewSet(ReadOnlyRuleViewSet):
    filterset_class = EMCFilter
    ordering_fields = ["code", "name", "formed_on"]

    def get_queryset(self):
        return selectors.emc_list()

    def get_serializer_class(self):
        return s.EMCDetailOut if self.action == "retrieve" else s.EMCOut

    def _detail(self, emc, code=status.HTTP_200_OK):
        return Response(s.EMCDetailOut(selectors.emc_list().get(pk=emc.pk)).data, status=code)

    @extend_schema(summary="Create an EMC", request=s.EMCCreateIn, responses={201: s.EMCDetailOut})
    def create(self, request):
        data = _parse(s.EMCCreateIn, request)
        return self._detail(services.emc_create(actor=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace the EMC's node MEs and share weights (summing to 100)",
        request=s.NodesSetIn,
        responses=s.EMCDetailOut,
    )
    @action(detail=True, methods=["put"])
    def nodes(self, request, pk=None):
        data = _parse(s.NodesSetIn, request)
        return self._detail(services.emc_nodes_set(emc=self.get_object(), actor=request.user, **data))

    @extend_schema(
        summary="A partner joins the EMC", request=s.PartnerJoinIn, responses={201: s.EMCDetailOut}
    )
    @action(detail=True, methods=["post"], url_path="partner-join")
    def partner_join(self, request, pk=None):
        data = _parse(s.PartnerJoinIn, request)
        emc = self.get_object()
        services.emc_partner_join(emc=emc, actor=request.user, **data)
        return self._detail(emc, status.HTTP_201_CREATED)

    @extend_schema(summary="A partner leaves the EMC", request=s.PartnerLeaveIn, responses=s.EMCDetailOut)
    @action(detail=True, methods=["post"], url_path="partner-leave")
    def partner_leave(self, request, pk=None):
        data = _parse(s.PartnerLeaveIn, request)
        emc = self.get_object()
        services.emc_partner_leave(emc=emc, actor=request.user, **data)
        return self._detail(emc)

    @extend_schema(
        summary="Split the EMC into new EMCs", request=s.EMCSplitIn, responses={201: s.EMCOut(many=True)}
    )
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        data = _parse(s.EMCSplitIn, request)
        children = services.emc_split(emc=self.get_object(), actor=request.user, **data)
        return Response(s.EMCOut(children, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Disband the EMC (ends nodes and participations)",
        request=s.ReasonIn,
        responses=s.EMCDetailOut,
    )
    @action(detail=True, methods=["post"])
    def disband(self, request, pk=None):
        data = _parse(s.ReasonIn, request)
        return self._detail(services.emc_disband(emc=self.get_object(), actor=request.user, **data))


def _transition_action(name: str, to_label: str):
    """Build one lifecycle action (POST /api/partners/{id}/<name>/)."""

    @extend_schema(
        summary=f"{name.replace('-', ' ').capitalize()}: move the partner to {to_label}",
        description="Reason required; illegal transitions answer 409 naming the allowed targets.",
        request=s.TransitionIn,
        responses=s.PartnerDetailOut,
    )
    def act(self, request, pk=None):
        data = _parse(s.TransitionIn, request)
        partner = self.get_object()
        services.partner_act(partner=partner, action=name.replace("-", "_"), actor=request.user, **data)
        return self._detail(partner)

    act.__name__ = name.replace("-", "_")
    return action(detail=True, methods=["post"], url_path=name)(act)


@extend_schema_view(
    list=extend_schema(
        summary="The partner directory (filter by state, tier, role, industry, EMC; q searches)",
        responses=s.PartnerOut(many=True),
    ),
    retrieve=extend_schema(summary="One partner with its lifecycle timeline", responses=s.PartnerDetailOut),
)
class PartnerViewSet(ReadOnlyRuleViewSet):
    filterset_class = PartnerFilter
    ordering_fields = ["name", "code", "state_since", "applied_on"]
    write_permission = "orgs.manage_partners"

    def get_queryset(self):
        if self.action == "retrieve":
            return Partner.objects.select_related("tier").prefetch_related(
                "roles", "industries", "resources", "certifications__standard"
            )
        return selectors.partner_list()

    def get_serializer_class(self):
        return s.PartnerDetailOut if self.action == "retrieve" else s.PartnerOut

    def _detail(self, partner, code=status.HTTP_200_OK):
        partner = selectors.partner_detail(
            code=Partner.objects.values_list("code", flat=True).get(pk=partner.pk)
        )
        return Response(s.PartnerDetailOut(partner).data, status=code)

    @extend_schema(
        summary="Register a partner's application",
        request=s.PartnerCreateIn,
        responses={201: s.PartnerDetailOut},
    )
    def create(self, request):
        data = _parse(s.PartnerCreateIn, request)
        return self._detail(services.partner_create(actor=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a partner's details (not its state or tier)",
        request=s.PartnerUpdateIn,
        responses=s.PartnerDetailOut,
    )
    def partial_update(self, request, pk=None):
        serializer = s.PartnerUpdateIn(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        partner = self.get_object()
        services.partner_update(partner=partner, actor=request.user, data=data, reason=reason)
        return self._detail(partner)

    admit = _transition_action("admit", "probation")
    reject = _transition_action("reject", "rejected")
    activate = _transition_action("activate", "active")
    watch = _transition_action("watch", "on watch")
    reinstate = _transition_action("reinstate", "active")
    phase_out = _transition_action("phase-out", "phased out")
    reapply = _transition_action("reapply", "applied")

    @extend_schema(
        summary="Promote or demote the partner's tier", request=s.TierChangeIn, responses=s.PartnerDetailOut
    )
    @action(detail=True, methods=["post"], url_path="change-tier")
    def change_tier(self, request, pk=None):
        data = _parse(s.TierChangeIn, request)
        partner = self.get_object()
        services.partner_tier_change(partner=partner, actor=request.user, **data)
        return self._detail(partner)

    @extend_schema(summary="The partner's lifecycle and tier timeline", responses=s.TransitionOut(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])  # whole, unpaged
    def timeline(self, request, pk=None):
        return Response(
            s.TransitionOut(selectors.partner_timeline(partner=self.get_object()), many=True).data
        )


@extend_schema_view(
    list=extend_schema(summary="Proposals to put partners on watch or phase them out"),
    retrieve=extend_schema(summary="One proposal"),
)
class ProposalViewSet(ReadOnlyRuleViewSet):
    serializer_class = s.ProposalOut
    filterset_class = ProposalFilter
    write_permission = "orgs.manage_partners"

    def get_queryset(self):
        return selectors.proposal_list()

    @extend_schema(
        summary="Propose a watch or phase-out (idempotent: answers the open one with 200)",
        request=s.ProposalCreateIn,
        responses={201: s.ProposalOut, 200: s.ProposalOut},
    )
    def create(self, request):
        data = _parse(s.ProposalCreateIn, request)
        proposal, created = services.partner_proposal_create(actor=request.user, **data)
        return Response(
            s.ProposalOut(proposal).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Accept: run the proposed transition", request=s.ProposalDecisionIn, responses=s.ProposalOut
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        data = _parse(s.ProposalDecisionIn, request)
        proposal = self.get_object()
        services.partner_proposal_accept(proposal=proposal, actor=request.user, **data)
        return Response(s.ProposalOut(selectors.proposal_list().get(pk=proposal.pk)).data)

    @extend_schema(summary="Dismiss, saying why", request=s.ProposalDecisionIn, responses=s.ProposalOut)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        data = _parse(s.ProposalDecisionIn, request)
        proposal = services.partner_proposal_dismiss(
            proposal=self.get_object(), actor=request.user, reason=data["reason"]
        )
        return Response(s.ProposalOut(selectors.proposal_list().get(pk=proposal.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="Partners' use of shared platform resources over time"),
    retrieve=extend_schema(summary="One resource use"),
)
class ResourceUseViewSet(ReadOnlyRuleViewSet):
    serializer_class = s.ResourceUseOut
    write_permission = "orgs.manage_partners"
    filterset_fields = {"partner__code": ["exact"], "resource__code": ["exact"], "ended_on": ["isnull"]}

    def get_queryset(self):
        return selectors.resource_uses().order_by("-started_on", "-id")

    @extend_schema(
        summary="Record that a partner uses a resource from a day",
        request=s.ResourceUseIn,
        responses={201: s.ResourceUseOut},
    )
    def create(self, request):
        use = services.resource_use_start(actor=request.user, **_parse(s.ResourceUseIn, request))
        return Response(s.ResourceUseOut(use).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End an open use (exclusive day)", request=s.ResourceUseEndIn, responses=s.ResourceUseOut
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        use = services.resource_use_end(
            actor=request.user, use=self.get_object(), **_parse(s.ResourceUseEndIn, request)
        )
        return Response(s.ResourceUseOut(use).data)

    @extend_schema(
        summary="Record uses from a CSV file, all or nothing",
        description="One line per use: `partner,resource,started_on,ended_on,note` (codes, ISO dates, "
        "`ended_on` empty for an open use). Any error refuses the file (400, nothing written) with the "
        "errors by line and field under `errors.lines`.",
        request={"multipart/form-data": s.ResourceUseImportIn},
        responses={201: s.ResourceUseImportOut},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_csv(self, request):
        refused = upload_refusal(request)
        if refused:
            return Response(
                error_body(413, "too_large", refused, {"file": [refused]}),
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        data = _parse(s.ResourceUseImportIn, request)
        try:
            text = data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            message = "The file is not UTF-8 text."
            return Response(error_body(400, "invalid", message, {"file": [message]}), status=400)
        try:
            uses = services.resource_uses_import_csv(actor=request.user, text=text, reason=data["reason"])
        except ResourceImportRefused as exc:
            lines = {str(n): fields for n, fields in exc.line_errors.items()}
            first = exc.as_lines()[0]
            detail = f"Line {first[0]}, {first[1]}: {first[2]}"
            return Response(error_body(400, "invalid", detail, {"lines": lines}), status=400)
        ids = [u.pk for u in uses]
        rows = selectors.resource_uses().filter(pk__in=ids).order_by("id")
        return Response(
            {"created": len(ids), "results": s.ResourceUseOut(rows, many=True).data},
            status=status.HTTP_201_CREATED,
        )


class ScenarioViewSet(ReadOnlyRuleViewSet):
    serializer_class = s.ScenarioOut
    queryset = Scenario.objects.all()
    search_fields = ["code", "name"]

    @extend_schema(summary="Create a scenario", request=s.ScenarioIn, responses={201: s.ScenarioOut})
    def create(self, request):
        scenario = services.scenario_create(actor=request.user, **_parse(s.ScenarioIn, request))
        return Response(s.ScenarioOut(scenario).data, status=status.HTTP_201_CREATED)


class CategoryViewSet(ReadOnlyRuleViewSet):
    serializer_class = s.CategoryOut
    queryset = Category.objects.select_related("industry")
    filterset_fields = ["is_core"]

    @extend_schema(
        summary="Create a category (core or not)", request=s.CategoryIn, responses={201: s.CategoryOut}
    )
    def create(self, request):
        category = services.category_create(actor=request.user, **_parse(s.CategoryIn, request))
        return Response(s.CategoryOut(category).data, status=status.HTTP_201_CREATED)


class SolutionViewSet(ReadOnlyRuleViewSet):
    serializer_class = s.SolutionOut
    queryset = Solution.objects.select_related("scenario").prefetch_related(
        "categories", "provider_mes", "provider_partners", "versions"
    )
    filterset_fields = {"scenario__code": ["exact"]}

    def _detail(self, solution, code=status.HTTP_200_OK):
        return Response(s.SolutionOut(self.get_queryset().get(pk=solution.pk)).data, status=code)

    @extend_schema(
        summary="Create a solution (with its version 1)", request=s.SolutionIn, responses={201: s.SolutionOut}
    )
    def create(self, request):
        solution = services.solution_create(actor=request.user, **_parse(s.SolutionIn, request))
        return self._detail(solution, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record the solution's next iteration", request=s.VersionIn, responses={201: s.SolutionOut}
    )
    @action(detail=True, methods=["post"])
    def versions(self, request, pk=None):
        solution = self.get_object()
        services.solution_version_add(solution=solution, actor=request.user, **_parse(s.VersionIn, request))
        return self._detail(solution, status.HTTP_201_CREATED)


class IndustryViewSet(ReadOnlyRuleViewSet):
    """ISIC Rev. 4 (read-only reference data)."""

    serializer_class = s.IndustryOut
    queryset = Industry.objects.select_related("parent")
    filterset_fields = {"level": ["exact"], "code": ["startswith"], "parent__code": ["exact"]}


class AuditViewSet(ReadOnlyRuleViewSet):
    """The audit trail of the organization (read-only)."""

    serializer_class = s.AuditOut
    filterset_class = AuditFilter
    permission_required = "orgs.view_audit"

    def get_queryset(self):
        return selectors.audit_list()


class NetworkViewSet(RuleViewSet):
    """The EMC / ME / partner network for the graph page."""

    queryset = EMC.objects.none()

    @extend_schema(
        summary="Network graph: EMCs, MEs and partners as Cytoscape elements",
        parameters=[
            OpenApiParameter("emc", str, many=True, description="EMC codes to include"),
            OpenApiParameter("scenario", str, description="Only EMCs serving this scenario"),
            OpenApiParameter("include_ended", bool, description="Also draw ended seats and participations"),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": NETWORK_MAX_EMCS},
                description=f"At most this many EMCs (1 to {NETWORK_MAX_EMCS})",
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request):
        query = request.query_params
        limit = integer_parse(
            query.get("limit", NETWORK_MAX_EMCS), field="limit", min_value=1, max_value=NETWORK_MAX_EMCS
        )
        include_ended = "include_ended" in query and boolean_parse(
            query["include_ended"] or "?", field="include_ended"
        )
        graph = selectors.network_graph(
            emc_codes=query.getlist("emc") or None,
            scenario_code=query.get("scenario") or None,
            include_ended=include_ended,
            limit=limit,
        )
        return Response(graph)

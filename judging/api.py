"""REST API of judging: partner scorecards, proposals (accept, dismiss), the ME matrix."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import NumericIds
from config.permissions import HasRulePermission
from config.values import date_parse
from judging import selectors, services
from judging.models import Proposal, Scorecard
from judging.serializers import JudgingDecisionIn, JudgingProposalOut, ScorecardOut
from orgs.models import Partner


class MatrixView(APIView):
    """The ME evaluation matrix of a date: each ME's axes (% of target), quadrant, path, and
    whether it moved quadrant since the period before."""

    permission_classes = [HasRulePermission]
    permission_required = "judging.compare"

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, required=False),
            OpenApiParameter("emc", OpenApiTypes.STR, required=False),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        raw = request.query_params.get("date")
        day = date_parse(raw, field="date") if raw is not None else None  # "" or a bad date: 400
        return Response(selectors.matrix(day=day, emc_code=request.query_params.get("emc", "")))


class _Rules:
    permission_classes = [HasRulePermission]


@extend_schema_view(
    list=extend_schema(
        summary="Partner scorecards of a date (the latest by default)",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, required=False),
            OpenApiParameter("partner", OpenApiTypes.STR, required=False),
        ],
    ),
    retrieve=extend_schema(summary="A partner's latest scorecard, by partner code"),
)
class ScorecardViewSet(_Rules, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff list every partner's scorecards; a partner user reads its own partner's only (by code:
    another partner's answers 404)."""

    serializer_class = ScorecardOut
    lookup_field = "partner__code"
    lookup_url_kwarg = "code"

    @property
    def permission_required(self):
        return "judging.compare" if self.action == "list" else None

    def get_queryset(self):
        qs = Scorecard.objects.select_related("partner")
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no request, no query
            return qs.none()
        if self.action == "list":
            raw = self.request.query_params.get("date")
            day = date_parse(raw, field="date") if raw is not None else selectors.latest_day()
            qs = qs.filter(day=day)
            if self.request.query_params.get("partner"):
                qs = qs.filter(partner__code=self.request.query_params["partner"])
            return qs.order_by("partner__code")
        return qs

    def get_object(self):
        partner = Partner.objects.filter(code=self.kwargs["code"]).first()
        if partner is None or not self.request.user.has_perm("judging.view_scorecard", partner):
            raise Http404
        card = selectors.scorecard(partner=partner)
        if card is None:
            raise Http404
        return card


@extend_schema_view(
    list=extend_schema(summary="Proposals the rules made from the partners' scorecards"),
    retrieve=extend_schema(summary="One proposal with its evidence"),
)
class ProposalViewSet(
    _Rules, NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = JudgingProposalOut
    permission_required = "judging.view_proposals"
    write_permission = "judging.decide"
    filterset_fields = {"status": ["exact"], "partner__code": ["exact"], "action": ["exact"]}

    def get_queryset(self):
        return Proposal.objects.select_related("partner", "rule", "decided_by").order_by("-day", "-id")

    def _decided(self, proposal):
        return Response(JudgingProposalOut(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(
        summary="Accept: run the partner's lifecycle or tier change",
        request=JudgingDecisionIn,
        responses=JudgingProposalOut,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        data = _valid(JudgingDecisionIn, request)
        return self._decided(services.proposal_accept(proposal=self.get_object(), actor=request.user, **data))

    @extend_schema(summary="Dismiss, saying why", request=JudgingDecisionIn, responses=JudgingProposalOut)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        data = _valid(JudgingDecisionIn, request)
        return self._decided(
            services.proposal_dismiss(proposal=self.get_object(), actor=request.user, reason=data["reason"])
        )


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)

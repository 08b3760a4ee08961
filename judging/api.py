"""REST API of judging: partner scorecards, proposals (accept, dismiss), the ME matrix."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import NumericIds
from config.permissions import HasRulePermission
from config.values import date_parse
from judging import entries, selectors, services, statement
from judging.models import CostEntry, HoursEntry, Proposal, Scorecard
from judging.periods import current_month, period_parse
from judging.serializers import (
    CostEntryOut,
    HoursEntryOut,
    JudgingDecisionIn,
    JudgingProposalOut,
    ScorecardOut,
)
from ledger.models import Source
from ledger.selectors import visible_me_ids
from orgs.models import EMC, Microenterprise, Partner


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


# --- the Win-Win Value-Added Statement and its inputs --------------------------------------------


class _EntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List (filters: `me` code, `period` month such as 2026-11) and create: one entry as an
    object, or several as a list (validated whole: every one written or none)."""

    permission_classes = [HasRulePermission]
    permission_required = "judging.view_statements"
    write_permission = "judging.log_costs_any"
    model = None
    kind = ""

    def get_queryset(self):
        qs = self.model.objects.select_related("me", "logged_by").order_by("-starts_on", "-id")
        if getattr(self, "swagger_fake_view", False):
            return qs.none()
        me_ids = visible_me_ids(user=self.request.user)
        if me_ids is not None:
            qs = qs.filter(me_id__in=me_ids)
        params = self.request.query_params
        if params.get("me"):
            qs = qs.filter(me__code=params["me"])
        if "period" in params:
            period = period_parse(params["period"])  # a bad or future period: 400
            qs = qs.filter(starts_on__gte=period.start, starts_on__lte=period.end)
        return qs

    def create(self, request):
        many = isinstance(request.data, list)
        items = request.data if many else [request.data]
        if not items or not all(isinstance(i, dict) for i in items):
            raise ValidationError({"entries": _("Send an entry as a JSON object, or several as a list.")})
        columns = entries.COST_COLUMNS if self.kind == "costs" else entries.HOURS_COLUMNS
        spec_class = entries.CostSpec if self.kind == "costs" else entries.HoursSpec
        specs = [spec_class(**{c: i.get(c) if i.get(c) is not None else "" for c in columns}) for i in items]
        post = entries.cost_entries_post if self.kind == "costs" else entries.hours_entries_post
        made = post(specs=specs, actor=request.user, source=Source.API)
        data = self.get_serializer(made, many=True).data
        return Response(data if many else data[0], status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="An ME's own cost entries",
        parameters=[OpenApiParameter("me", OpenApiTypes.STR), OpenApiParameter("period", OpenApiTypes.STR)],
    ),
    create=extend_schema(summary="Log cost entries (all or none)", request=OpenApiTypes.OBJECT),
)
class CostEntryViewSet(NumericIds, _EntryViewSet):
    serializer_class = CostEntryOut
    model = CostEntry
    kind = "costs"


@extend_schema_view(
    list=extend_schema(
        summary="An ME's hours worked",
        parameters=[OpenApiParameter("me", OpenApiTypes.STR), OpenApiParameter("period", OpenApiTypes.STR)],
    ),
    create=extend_schema(summary="Log hours worked (all or none)", request=OpenApiTypes.OBJECT),
)
class HoursEntryViewSet(NumericIds, _EntryViewSet):
    serializer_class = HoursEntryOut
    model = HoursEntry
    kind = "hours"


class StatementView(APIView):
    """The Win-Win Value-Added Statement of an ME (`me`) or an EMC (`emc`) for a period (a month
    2026-11, a quarter 2026-Q4 or a year 2026; this month by default). Money as decimal text
    per currency; "no data" is null."""

    permission_classes = [HasRulePermission]
    permission_required = "judging.view_statements"

    @extend_schema(
        parameters=[OpenApiParameter("period", OpenApiTypes.STR, required=False)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, scope, code):
        if scope == "me":
            subject = Microenterprise.objects.filter(code=code).first()
            allowed = subject is not None and request.user.has_perm("judging.view_me_statement", subject)
        else:
            subject = EMC.objects.filter(code=code).first() if scope == "emc" else None
            allowed = subject is not None and request.user.has_perm("judging.view_emc_statement")
        if not allowed:
            raise Http404
        raw = request.query_params.get("period")
        period = period_parse(raw) if raw is not None else current_month()
        return Response(statement.statement(scope=scope, subject=subject, period=period))

"""REST API of judging: partner scorecards and their utility, proposals (accept, dismiss; a
partner user's appeal and an admin's decision of it), the rules, the ME matrix. Every write goes
through judging.services, as the pages' do."""

from django.core.exceptions import PermissionDenied, ValidationError
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
from judging import corrections, entries, selectors, services, statement
from judging.models import CostEntry, HoursEntry, Proposal, Rule, Scorecard
from judging.periods import current_month, period_parse
from judging.serializers import (
    AppealDecisionIn,
    AppealIn,
    CostEntryOut,
    CostReverseIn,
    HoursEntryOut,
    JudgingDecisionIn,
    JudgingProposalOut,
    RuleIn,
    RuleOut,
    ScorecardOut,
    UtilityOut,
)
from judging.utility import TERMS
from ledger.models import Source
from ledger.selectors import visible_me_ids
from orgs.models import EMC, Microenterprise, Partner
from orgs.selectors import partner_of_user


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
        if not self.request.user.has_perm("judging.compare"):
            # a partner user reads its own figures, not which other partners it works with
            card.figures = _without_graph(card.figures)
        return card

    @extend_schema(
        summary="A partner's ecosystem brand utility: each term, its unit and source", responses=UtilityOut
    )
    @action(detail=True, methods=["get"])
    def utility(self, request, code=None):
        card = self.get_object()
        found = card.figures.get("utility")
        if not found:
            raise Http404
        staff = request.user.has_perm("judging.compare")
        neighbours = None
        if staff:
            ids = [n["id"] for n in found["graph"]["neighbours"]]
            codes = dict(Partner.objects.filter(pk__in=ids).values_list("pk", "code"))
            neighbours = [
                {"partner": codes.get(n["id"]), "shared_events": n["shared_events"]}
                for n in found["graph"]["neighbours"]
            ]
        body = {
            "partner": card.partner.code,
            "day": card.day,
            "currency": found["currency"],
            "U": found["U"],
            "missing": found["missing"],
            "terms": [
                {
                    "code": c,
                    "name": str(n),
                    "unit": str(u),
                    "definition": str(d),
                    "value": found["terms"].get(c),
                }
                for c, n, u, d in TERMS
            ],
            "neighbours": neighbours,
        }
        return Response(UtilityOut(body).data)


def _without_graph(figures: dict) -> dict:
    utility = figures.get("utility")
    if not utility or "graph" not in utility:
        return figures
    return figures | {"utility": {k: v for k, v in utility.items() if k != "graph"}}


@extend_schema_view(
    list=extend_schema(
        summary="Proposals the rules made from the partners' scorecards (a partner user: its own)"
    ),
    retrieve=extend_schema(summary="One proposal with its evidence and its appeal"),
)
class ProposalViewSet(
    _Rules, NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Admins and auditors read every proposal, a partner user those about its own partner (another
    partner's answers 404); admins accept, dismiss and decide appeals; a partner user appeals an
    accepted proposal about it within its window."""

    serializer_class = JudgingProposalOut
    filterset_fields = {"status": ["exact"], "partner__code": ["exact"], "action": ["exact"]}

    @property
    def permission_required(self):
        return None  # readers are scoped by get_queryset; the appeal by its object-level rule

    @property
    def write_permission(self):
        return None if self.action == "appeal" else "judging.decide"

    def get_queryset(self):
        qs = Proposal.objects.select_related(
            "partner", "rule", "decided_by", "appeal", "appeal__by", "appeal__decided_by"
        ).order_by("-day", "-id")
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no request, no query
            return qs.none()
        user = self.request.user
        if user.has_perm("judging.view_proposals"):
            return qs
        partner = partner_of_user(user=user)
        if partner is None:
            raise PermissionDenied
        return qs.filter(partner=partner)

    def _decided(self, proposal, code=status.HTTP_200_OK):
        return Response(JudgingProposalOut(self.get_queryset().get(pk=proposal.pk)).data, status=code)

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

    @extend_schema(
        summary="Appeal an accepted proposal (a partner user, its own partner's, within the window)",
        request=AppealIn,
        responses={201: JudgingProposalOut},
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        data = _valid(AppealIn, request)
        appeal = services.appeal_file(proposal=self.get_object(), actor=request.user, text=data["text"])
        return self._decided(appeal.proposal, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Decide an appeal again: uphold or overturn (admins)",
        request=AppealDecisionIn,
        responses=JudgingProposalOut,
    )
    @action(detail=True, methods=["post"], url_path="appeal-decide", url_name="appeal-decide")
    def appeal_decide(self, request, pk=None):
        data = _valid(AppealDecisionIn, request)
        appeal = services.appeal_decide(proposal=self.get_object(), actor=request.user, **data)
        return self._decided(appeal.proposal)


@extend_schema_view(
    list=extend_schema(summary="The rules that turn sustained figures into proposals"),
    retrieve=extend_schema(summary="One rule, by code"),
    create=extend_schema(
        summary="Create a rule (admins; validated whole)", request=RuleIn, responses={201: RuleOut}
    ),
    update=extend_schema(summary="Change a rule (admins; every field)", request=RuleIn, responses=RuleOut),
    partial_update=extend_schema(
        summary="Change some of a rule's fields (admins)", request=RuleIn, responses=RuleOut
    ),
)
class RuleViewSet(
    _Rules,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Admins and auditors read the rules; admins create and change them through
    judging.services.rule_save (the rules page's service: validated whole, audited)."""

    serializer_class = RuleOut
    permission_required = "judging.view_proposals"
    write_permission = "judging.manage_rules"
    lookup_field = "code"
    pagination_class = None  # a handful of rules: the whole list

    def get_queryset(self):
        return Rule.objects.select_related("updated_by").order_by("code")

    def create(self, request, *args, **kwargs):
        data = _valid(RuleIn, request)
        rule = services.rule_save(actor=request.user, code=data.pop("code", ""), data=data)
        return Response(RuleOut(self.get_queryset().get(pk=rule.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        rule = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = RuleIn(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("code", None)  # a rule's code names it for good
        current = {f: getattr(rule, f) for f in services.RULE_FIELDS}
        rule = services.rule_save(actor=request.user, rule=rule, data=current | data if partial else data)
        return Response(RuleOut(self.get_queryset().get(pk=rule.pk)).data)


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
    related = ("me", "logged_by")

    def get_queryset(self):
        qs = self.model.objects.select_related(*self.related).order_by("-starts_on", "-id")
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
        kind = entries.KINDS[self.kind]
        specs = [
            kind.spec_class(**{c: i.get(c) if i.get(c) is not None else "" for c in kind.columns})
            for i in items
        ]
        made = entries.entries_post(kind=self.kind, specs=specs, actor=request.user, source=Source.API)
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
    related = ("me", "logged_by", "reversed_by")

    def get_permissions(self):
        if self.action == "reverse":  # finance corrects costs it does not log
            self.write_permission = "judging.correct_costs"
        return super().get_permissions()

    @extend_schema(
        summary="Reverse a mistaken cost with a reason (finance or an admin): the reversing entry",
        request=CostReverseIn,
        responses={201: CostEntryOut},
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        entry = self.get_object()
        data = _valid(CostReverseIn, request)
        reversal = corrections.cost_entry_reverse(
            actor=request.user, entry=entry, reason=data["reason"], source=Source.API
        )
        return Response(
            CostEntryOut(self.get_queryset().get(pk=reversal.pk)).data, status=status.HTTP_201_CREATED
        )


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

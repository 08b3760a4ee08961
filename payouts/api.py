"""REST API of payout reports: list and read reports and their lines, the lifecycle actions
(submit, approve, lock: 403 for the wrong person, 409 for the wrong state), the reconciliation,
the CSV export, and a person's own statement lines."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import NumericIds
from config.exports import csv_download
from config.permissions import HasRulePermission
from ledger.models import Contract
from orgs.models import EMC
from payouts import exports, selectors, serializers, services
from payouts.models import PayoutInquiry, PayoutLine, PayoutReport, TierGate
from payouts.services import inquiries
from payouts.services.gates import tier_gates_set


class ReportFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PayoutReport.Status.choices)
    kind = filters.CharFilter(field_name="period__kind")
    currency = filters.CharFilter(field_name="period__currency")

    class Meta:
        model = PayoutReport
        fields = ["status", "kind", "currency"]


class LineFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=PayoutLine.Kind.choices)
    emc = filters.NumberFilter(field_name="emc_id")
    me = filters.NumberFilter(field_name="me_id")

    class Meta:
        model = PayoutLine
        fields = ["kind", "emc", "me"]


class PayoutReportViewSet(
    NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [HasRulePermission]
    permission_required = "payouts.view_reports"
    serializer_class = serializers.PayoutReportSerializer
    filterset_class = ReportFilter

    def get_queryset(self):
        return PayoutReport.objects.select_related("period").prefetch_related("approvals__approved_by")

    def _act(self, service, request):
        report = self.get_object()
        service(actor=request.user, report=report)
        return Response(serializers.PayoutReportSerializer(self.get_queryset().get(pk=report.pk)).data)

    @extend_schema(request=None, responses={200: serializers.PayoutReportSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(services.payout_report_submit, request)

    @extend_schema(request=None, responses={200: serializers.PayoutReportSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(services.payout_report_approve, request)

    @extend_schema(request=None, responses={200: serializers.PayoutReportSerializer})
    @action(detail=True, methods=["post"])
    def lock(self, request, pk=None):
        return self._act(services.payout_report_lock, request)

    @extend_schema(request=None, responses={200: serializers.PayoutReportSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_draft(self, request, pk=None):
        return self._act(services.payout_report_return, request)

    @extend_schema(request=serializers.WhatIfSerializer, responses={200: serializers.WhatIfResultSerializer})
    @action(detail=True, methods=["post"], url_path="what-if")
    def what_if(self, request, pk=None):
        """Run the report's period again under other terms; nothing is written."""
        report = self.get_object()
        given = serializers.WhatIfSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        emc = get_object_or_404(EMC, pk=data.pop("emc"))
        contract_id = data.pop("contract", None)
        contract = get_object_or_404(Contract, pk=contract_id) if contract_id else None
        if "tiers" in data:
            data["tiers"] = [dict(t) for t in data["tiers"]]
        return Response(
            services.payout_what_if(actor=request.user, report=report, emc=emc, contract=contract, **data)
        )

    @extend_schema(responses={200: serializers.ReconciliationSerializer})
    @action(detail=True, methods=["get"])
    def reconciliation(self, request, pk=None):
        return Response(services.payout_report_reconcile(report=self.get_object()))

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="export")
    def export(self, request, pk=None):
        if not request.user.has_perm("payouts.export"):
            self.permission_denied(request)
        report = self.get_object()
        return csv_download(exports.report_csv_rows(report), filename=f"payouts-{report.pk}.csv", stream=True)

    @extend_schema(responses={(200, exports.XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="export-xlsx")
    def export_xlsx(self, request, pk=None):
        if not request.user.has_perm("payouts.export"):
            self.permission_denied(request)
        report = self.get_object()
        return exports.file_response(
            exports.report_xlsx(report),
            filename=exports.export_name(report, ".xlsx"),
            content_type=exports.XLSX,
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"statements/me/(?P<me_id>\d+)")
    def me_statement(self, request, pk=None, me_id=None):
        """An ME's PDF statement in the report (finance and auditors)."""
        if not request.user.has_perm("payouts.export"):
            self.permission_denied(request)
        name, content = exports.statement_file(request.user, self.get_object(), me_id=int(me_id))
        return exports.file_response(content, filename=name, content_type="application/pdf")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"statements/member/(?P<user_id>\d+)")
    def member_statement(self, request, pk=None, user_id=None):
        """A member's PDF statement in the report (finance and auditors)."""
        if not request.user.has_perm("payouts.export"):
            self.permission_denied(request)
        name, content = exports.statement_file(request.user, self.get_object(), user_id=int(user_id))
        return exports.file_response(content, filename=name, content_type="application/pdf")


class PayoutLineList(ListAPIView):
    """GET /api/payouts/reports/<id>/lines/: the report's lines (filter kind, emc, me)."""

    permission_classes = [HasRulePermission]
    permission_required = "payouts.view_reports"
    serializer_class = serializers.PayoutLineSerializer
    filterset_class = LineFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PayoutLine.objects.none()
        report = get_object_or_404(PayoutReport, pk=self.kwargs["pk"])
        return PayoutLine.objects.filter(report=report).order_by("key")


class StatementList(ListAPIView):
    """GET /api/payouts/statement/: the requesting person's own member lines, nobody else's."""

    permission_classes = [HasRulePermission]
    permission_required = "payouts.view_statement"
    serializer_class = serializers.PayoutLineSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PayoutLine.objects.none()
        return selectors.member_statement_lines(user=self.request.user)


class StatementPDF(APIView):
    """GET /api/payouts/statement/<report id>.pdf: the requesting person's own member statement
    in that report (404 when they have no line in it)."""

    permission_classes = [HasRulePermission]
    permission_required = "payouts.view_statement"

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        report = get_object_or_404(PayoutReport.objects.select_related("period"), pk=pk)
        name, content = exports.statement_file(request.user, report, user_id=request.user.pk)
        return exports.file_response(content, filename=name, content_type="application/pdf")


class ContractTierGates(APIView):
    """GET/POST /api/payouts/contracts/<id>/tier-gates/ {gates: [{threshold_pct, metric}]}: the
    tiers of a contract version that need a VAM vertical goal met (POST replaces a draft's)."""

    permission_classes = [HasRulePermission]
    permission_required = "ledger.manage_contracts"

    def _body(self, contract) -> dict:
        rows = TierGate.objects.filter(contract=contract).select_related("tier", "goal")
        return {
            "gates": [
                {"threshold_pct": f"{g.tier.threshold_pct.normalize():f}", "metric": g.goal.metric}
                for g in rows
            ]
        }

    @extend_schema(responses={200: serializers.TierGatesSerializer})
    def get(self, request, pk: int):
        return Response(self._body(get_object_or_404(Contract, pk=pk)))

    @extend_schema(request=serializers.TierGatesSerializer, responses={200: serializers.TierGatesSerializer})
    def post(self, request, pk: int):
        contract = get_object_or_404(Contract, pk=pk)
        given = serializers.TierGatesSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        gates = [dict(g) for g in given.validated_data["gates"]]
        tier_gates_set(actor=request.user, contract=contract, gates=gates)
        return Response(self._body(contract))


class InquiryViewSet(NumericIds, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inquiries the person may see: finance and auditors all, others those on their own lines.
    POST {id}/reply/ {text} (finance or the raiser), {id}/resolve/ {reason} (finance)."""

    permission_classes = [HasRulePermission]
    permission_required = "payouts.view_statement"
    serializer_class = serializers.PayoutInquirySerializer

    def get_queryset(self):
        rows = PayoutInquiry.objects.select_related("raised_by").prefetch_related("messages__author")
        if getattr(self, "swagger_fake_view", False) or self.request.user.has_perm("payouts.view_reports"):
            return rows
        user = self.request.user
        return rows.filter(Q(raised_by=user) | Q(line__user=user) | Q(line__me__leader=user)).distinct()

    @extend_schema(
        request=serializers.InquiryTextSerializer, responses={200: serializers.PayoutInquirySerializer}
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        inquiry = self.get_object()
        given = serializers.InquiryTextSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        inquiries.inquiry_reply(actor=request.user, inquiry=inquiry, text=given.validated_data["text"])
        return Response(serializers.PayoutInquirySerializer(self.get_queryset().get(pk=inquiry.pk)).data)

    @extend_schema(
        request=serializers.InquiryResolveSerializer, responses={200: serializers.PayoutInquirySerializer}
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        inquiry = self.get_object()
        given = serializers.InquiryResolveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        inquiries.inquiry_resolve(actor=request.user, inquiry=inquiry, reason=given.validated_data["reason"])
        return Response(serializers.PayoutInquirySerializer(self.get_queryset().get(pk=inquiry.pk)).data)


class LineInquiryCreate(APIView):
    """POST /api/payouts/lines/<id>/inquiries/ {text}: raise an inquiry on one's own line."""

    permission_classes = [HasRulePermission]
    permission_required = "payouts.view_statement"

    @extend_schema(
        request=serializers.InquiryTextSerializer, responses={201: serializers.PayoutInquirySerializer}
    )
    def post(self, request, pk: int):
        line = get_object_or_404(PayoutLine.objects.select_related("me"), pk=pk)
        given = serializers.InquiryTextSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        inquiry = inquiries.inquiry_raise(actor=request.user, line=line, text=given.validated_data["text"])
        return Response(serializers.PayoutInquirySerializer(inquiry).data, status=201)

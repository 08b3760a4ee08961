"""REST API of the nightly scoring: metric definitions with targets and weights, snapshots,
runs with progress, the index breakdown; starting a run or a backfill and editing the index
(platform admins)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from config.permissions import HasRulePermission
from scoring import launch, selectors, serializers, services
from scoring.models import Snapshot


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class Readable:
    permission_classes = [HasRulePermission]
    permission_required = "scoring.view"
    write_permission = "scoring.run"


class MetricListView(Readable, APIView):
    """The registry: each metric's catalogue entry, operational definition, target and weight."""

    @extend_schema(responses=serializers.MetricSerializer(many=True))
    def get(self, request):
        return Response(serializers.MetricSerializer(selectors.metric_definitions(), many=True).data)


class SnapshotFilter(filters.FilterSet):
    date_from = filters.DateFilter(field_name="day", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = Snapshot
        fields = ["metric", "subject_kind", "subject_id", "day"]


class SnapshotViewSet(Readable, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stored figures per (metric, subject, date) of the runs in force; filter by metric, subject
    and date range (`include_superseded=true` adds the figures restatements replaced)."""

    serializer_class = serializers.SnapshotSerializer
    filterset_class = SnapshotFilter
    ordering_fields = ["day", "value", "score"]

    def get_queryset(self):
        every = self.request.query_params.get("include_superseded") in ("1", "true", "yes")
        qs = Snapshot.objects.filter(run__status="done") if every else selectors.current_snapshots()
        return qs.order_by("day", "metric", "subject_kind", "subject_id", "run_id")


class RunViewSet(Readable, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs of the pipeline with their progress; POST starts a (re-)run of a date (admins)."""

    filterset_fields = ["status", "kind", "run_date"]

    def get_queryset(self):
        qs = selectors.runs()
        return qs.prefetch_related("chunks") if self.action == "retrieve" else qs

    def get_serializer_class(self):
        return serializers.RunDetailSerializer if self.action == "retrieve" else serializers.RunSerializer

    @extend_schema(request=serializers.RunStartSerializer, responses={202: serializers.RunSerializer})
    def create(self, request):
        data = _valid(serializers.RunStartSerializer, request)
        run = launch.run_queue(actor=request.user, run_date=data["run_date"], restate=data["restate"])
        run.refresh_from_db()
        location = request.build_absolute_uri(reverse("api-scoring-run-detail", args=[run.pk]))
        return Response(
            serializers.RunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class BackfillView(Readable, APIView):
    """Backfill a range of dates in order (at most SCORING_BACKFILL_MAX_DAYS back, ending yesterday at the latest)."""

    @extend_schema(request=serializers.BackfillSerializer, responses={202: serializers.RunSerializer})
    def post(self, request):
        data = _valid(serializers.BackfillSerializer, request)
        run = launch.backfill_queue(actor=request.user, date_from=data["date_from"], date_to=data["date_to"])
        location = request.build_absolute_uri(reverse("api-scoring-run-detail", args=[run.pk]))
        return Response(
            serializers.RunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class IndexView(Readable, APIView):
    """The Ecosystem Brand Index of a subject on a date (default: the latest computed), with
    every level's contributions and each metric's headline and score."""

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE),
            OpenApiParameter("subject_kind", OpenApiTypes.STR, enum=["ecosystem", "emc"]),
            OpenApiParameter("subject_id", OpenApiTypes.INT),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        raw = request.query_params.get("date")
        try:
            day = dt.date.fromisoformat(raw) if raw else selectors.latest_day()
        except ValueError:
            raise ValidationError({"date": "Use a date like 2026-01-31."}) from None
        kind = request.query_params.get("subject_kind", "ecosystem")
        try:
            subject_id = int(request.query_params.get("subject_id", 0))
        except ValueError:
            raise ValidationError({"subject_id": "Give a number."}) from None
        found = selectors.index_breakdown(day=day, subject_kind=kind, subject_id=subject_id) if day else None
        if found is None:
            return Response(
                {
                    "status": 404,
                    "code": "not_found",
                    "detail": "No index was computed for that day and subject.",
                },
                status=404,
            )
        return Response(found)


class WeightsView(Readable, APIView):
    """Set the weights of one group of the index (admins): they apply from the next run."""

    @extend_schema(request=serializers.WeightsSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request):
        data = _valid(serializers.WeightsSerializer, request)
        weights = services.index_weights_set(actor=request.user, **data)
        return Response({"level": data["level"], "weights": {c: str(w) for c, w in weights.items()}})


class TargetView(Readable, APIView):
    """Set one metric's target (admins): it applies from the next run."""

    @extend_schema(request=serializers.TargetSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request):
        data = _valid(serializers.TargetSerializer, request)
        setting = services.metric_target_set(actor=request.user, **data)
        return Response({"metric": setting.code, "target": str(setting.target)})

"""API shapes of the nightly scoring. Figures go out as decimal strings, never floats."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config import fields
from scoring import selectors
from scoring.models import NightlyRun, RunChunk, Snapshot


class MetricSerializer(serializers.Serializer):
    code = serializers.CharField()
    number = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    perspective = serializers.CharField()
    criterion = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    axis = serializers.CharField()
    definition = serializers.CharField()
    headline = serializers.CharField()
    secondary = serializers.ListField(child=serializers.CharField())
    subjects = serializers.ListField(child=serializers.CharField())
    target = serializers.CharField(allow_null=True)
    weight = serializers.CharField(allow_null=True)


class SnapshotSerializer(serializers.ModelSerializer):
    value = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True, coerce_to_string=True)
    score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True, coerce_to_string=True)
    no_data = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "day",
            "metric",
            "subject_kind",
            "subject_id",
            "value",
            "no_data",
            "currency",
            "score",
            "figures",
            "inputs",
            "run",
            "superseded",
        ]

    def get_no_data(self, snapshot) -> bool:
        return snapshot.value is None


class ChunkSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunChunk
        fields = ["number", "emc_ids", "done", "attempts", "snapshots", "seconds", "worker"]


class ProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField()
    chunks_done = serializers.IntegerField()
    chunks_total = serializers.IntegerField()
    steps = serializers.DictField()


class RunSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = NightlyRun
        fields = [
            "id",
            "run_date",
            "kind",
            "status",
            "cutoff",
            "superseded",
            "started_at",
            "finished_at",
            "runs",
            "counts",
            "error",
            "backfill_to",
            "summary",
            "progress",
        ]

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, run) -> dict:
        return selectors.run_progress(run=run)


class RunDetailSerializer(RunSerializer):
    chunks = ChunkSerializer(many=True, read_only=True)
    config = serializers.JSONField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "config", "chunks"]


class RunStartSerializer(serializers.Serializer):
    run_date = serializers.DateField()
    restate = serializers.BooleanField(
        default=False, help_text="Recompute with a new cut-off; the earlier figures stay, superseded."
    )


class BackfillSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()


class WeightsSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["metric", "criterion", "perspective"])
    weights = serializers.DictField(
        child=fields.DecimalTextField(max_digits=7, decimal_places=2),
        help_text="{code: weight}; one whole group, summing to 100.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TargetSerializer(serializers.Serializer):
    metric = serializers.CharField()
    target = fields.DecimalTextField(max_digits=20, decimal_places=4)
    reason = serializers.CharField(required=False, allow_blank=True, default="")

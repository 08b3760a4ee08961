from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from scoring import launch, selectors, services
from scoring.models import IndexSetting, NightlyRun, RunChunk


class RulesAdmin(admin.ModelAdmin):
    """Permissions from the rules (orgs/rules.py): every role reads, platform admins act."""

    def has_module_permission(self, request):
        return request.user.has_perm("scoring.view")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("scoring.view")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("scoring.run")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RunChunkInline(admin.TabularInline):
    model = RunChunk
    extra = 0
    can_delete = False
    readonly_fields = ["number", "emc_ids", "done", "attempts", "snapshots", "seconds", "worker"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(NightlyRun)
class NightlyRunAdmin(RulesAdmin):
    """Runs are made by the pipeline; here an admin re-runs or resumes them (same services as
    the scoring page and the API) and follows their progress."""

    list_display = [
        "run_date",
        "kind",
        "status",
        "progress",
        "cutoff",
        "superseded",
        "runs",
        "finished_at",
        "page",
    ]
    list_filter = ["status", "kind", "superseded"]
    readonly_fields = [f.name for f in NightlyRun._meta.fields]
    inlines = [RunChunkInline]
    actions = ["rerun", "resume"]

    @admin.display(description=_("Progress"))
    def progress(self, run):
        return f"{selectors.run_progress(run=run)['percent']}%"

    @admin.display(description=_("Progress page"))
    def page(self, run):
        return format_html('<a href="{}">{}</a>', reverse("scoring:run-detail", args=[run.pk]), _("follow"))

    @admin.action(description=_("Re-run the selected dates (same cut-off)"), permissions=["change"])
    def rerun(self, request, queryset):
        for run in queryset.filter(superseded=False):
            try:
                launch.run_queue(actor=request.user, run_date=run.run_date)
            except ValidationError as exc:
                self.message_user(request, f"{run.run_date}: {' '.join(exc.messages)}", messages.ERROR)
                return
        self.message_user(request, _("Started; follow the progress on the scoring runs page."))

    @admin.action(description=_("Resume the selected failed runs"), permissions=["change"])
    def resume(self, request, queryset):
        from scoring.tasks import run_execute

        for run in queryset.filter(status=NightlyRun.Status.FAILED):
            try:
                services.run_resume(run=run, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{run.run_date}: {' '.join(exc.messages)}", messages.ERROR)
                return
            run_execute.delay(run.pk)
        self.message_user(request, _("Resumed."))


@admin.register(IndexSetting)
class IndexSettingAdmin(RulesAdmin):
    """Read here; change through the API (`/api/scoring/weights/`, `/api/scoring/targets/`), which
    validates a whole group of weights at once (each level sums to 100) and audits the change."""

    list_display = ["level", "code", "weight", "target_shown", "updated_by", "updated_at"]
    readonly_fields = ["level", "code", "weight", "target_shown", "updated_by", "updated_at"]
    exclude = ["target"]

    def get_queryset(self, request):
        return super().get_queryset(request).readable()

    @admin.display(description=_("target"))
    def target_shown(self, obj):
        return obj.stored_target

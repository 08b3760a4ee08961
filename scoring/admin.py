from django.contrib import admin

from scoring.models import NightlyRun


@admin.register(NightlyRun)
class NightlyRunAdmin(admin.ModelAdmin):
    list_display = ["run_date", "status", "runs", "started_at", "finished_at"]
    readonly_fields = ["run_date", "status", "runs", "started_at", "finished_at", "summary"]

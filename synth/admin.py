from django.contrib import admin

from synth.models import GeneratedHistory


@admin.register(GeneratedHistory)
class GeneratedHistoryAdmin(admin.ModelAdmin):
    """Read-only: what the generator wrote into this database."""

    list_display = ["scale", "seed", "events", "first_day", "last_day", "status", "created_at"]
    readonly_fields = [f.name for f in GeneratedHistory._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

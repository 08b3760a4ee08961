"""Nightly scoring results. This round holds only the run record; the 19 metrics come next."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NightlyRun(models.Model):
    """One run of the nightly pipeline for a date; re-running a date updates the same row."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    run_date = models.DateField(unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0, help_text=_("How many times this date was computed."))
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-run_date"]

    def __str__(self):
        return f"nightly {self.run_date} ({self.status})"

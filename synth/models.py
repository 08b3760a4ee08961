"""What the generator wrote into this database: one row per generated history."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GeneratedHistory(models.Model):
    """A synthetic ecosystem and its history, so a night can be added on top of it later (the
    plan is drawn again from scale, seed and `plan_last_day`, and its rows found by code)."""

    class Status(models.TextChoices):
        ORGANIZATION = "organization", _("Organization written")
        HISTORY = "history", _("History written")

    scale = models.CharField(max_length=10)
    seed = models.IntegerField()
    events = models.PositiveIntegerField(help_text=_("Value events asked for the year."))
    first_day = models.DateField()
    plan_last_day = models.DateField(help_text=_("Last day of the year of history."))
    last_day = models.DateField(help_text=_("Last day with events (nights move it on)."))
    status = models.CharField(max_length=12, choices=Status.choices)
    stats = models.JSONField(default=dict, blank=True)
    nights = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("generated history")
        verbose_name_plural = _("generated histories")

    def __str__(self):
        return f"{self.scale} seed {self.seed}: {self.first_day} to {self.last_day}"

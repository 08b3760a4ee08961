"""Nightly scoring: runs, the rollups they ingest, per-user state, snapshots and index settings.

How the pieces fit (see scoring/pipeline.py):

- a run of the pipeline for a date D has a *cut-off* (a recorded time, stored on the run);
- the ingest step aggregates the rows recorded since the previous ingest's cut-off into daily
  rollups tagged with that ingest (`Ingest`), so "as recorded up to cut-off C" is
  `ingest_id <= the ingest of C`: re-running D with the same cut-off reads the same rows;
- per-user state (`UserState`) is advanced from the new rollup rows only, and keeps the day each
  user's loyalty class would lapse (`lapses_on`), so users whose signals age out are found by
  an index, not a scan;
- every figure is stored as a `Snapshot` per (metric, subject, date) with its inputs' counts.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _


class NightlyRun(models.Model):
    """One computation of a date. A re-run of the date reuses its row and cut-off; restating a
    date makes a new row with a later cut-off and marks the earlier one superseded (kept)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    STEPS = ("verify", "ingest", "users", "windows", "chunks", "ecosystem")

    class Kind(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly")
        RERUN = "rerun", _("Re-run")
        BACKFILL = "backfill", _("Backfill")
        RESTATE = "restate", _("Restatement")

    run_date = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.NIGHTLY)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    cutoff = models.DateTimeField(null=True, blank=True, help_text=_("Rows recorded up to here count."))
    ingest = models.ForeignKey("Ingest", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    superseded = models.BooleanField(default=False)
    # "active" while the run holds the pipeline: a unique key, so two runs never hold it at once
    lock = models.CharField(max_length=6, null=True, blank=True, unique=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0, help_text=_("How many times this date was computed."))
    steps = models.JSONField(default=dict, blank=True, help_text=_("Progress per step."))
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    config = models.JSONField(default=dict, blank=True, help_text=_("Targets and weights used."))
    backfill_to = models.DateField(null=True, blank=True, help_text=_("Queue the next date up to this one."))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-run_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run_date"], condition=Q(superseded=False), name="nightly_run_one_current_per_date"
            ),
        ]

    def __str__(self):
        return f"nightly {self.run_date} ({self.status})"

    @property
    def chunk_progress(self) -> tuple[int, int]:
        chunks = self.steps.get("chunks", {})
        return chunks.get("done", 0), chunks.get("total", 0)

    @property
    def percent(self) -> int:
        order = self.STEPS
        done = sum(1 for step in order if self.steps.get(step, {}).get("status") == "done")
        chunk_done, chunk_total = self.chunk_progress
        partial = (
            chunk_done / chunk_total
            if chunk_total and self.steps.get("chunks", {}).get("status") != "done"
            else 0
        )
        return 100 if self.status == self.Status.DONE else int(100 * (done + partial) / len(order))


class RunChunk(models.Model):
    """A batch of EMCs a worker computes for a run; done chunks are not redone on resume."""

    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    emc_ids = models.JSONField(default=list)
    done = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    snapshots = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    worker = models.CharField(max_length=200, blank=True, help_text=_("The worker that computed it."))

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="run_chunk_unique")]

    def __str__(self):
        return f"run {self.run_id} chunk {self.number}"


class Ingest(models.Model):
    """The rows recorded in (previous cut-off, cutoff], aggregated into the rollups below."""

    cutoff = models.DateTimeField(unique=True)
    previous_cutoff = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cutoff"]

    def __str__(self):
        return f"ingest {self.pk} up to {self.cutoff:%Y-%m-%d %H:%M}"


# --- daily rollups (one row per ingest, day and dimensions) --------------------------------


class Rollup(models.Model):
    ingest = models.ForeignKey(Ingest, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{type(self).__name__} {self.day} (ingest {self.ingest_id})"


class ValueDay(Rollup):
    """User-paid value per EMC, ME and currency: payments less refunds, reversals taken out on
    the event's day; `noncore_net_minor` is the part from non-core categories (ecosystem revenue)."""

    emc_id = models.BigIntegerField()
    me_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payments = models.IntegerField(default=0)
    customized = models.IntegerField(default=0)
    net_minor = models.BigIntegerField(default=0)
    noncore_net_minor = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["emc_id", "day"]), models.Index(fields=["day"])]


class CategoryDay(Rollup):
    emc_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    net_minor = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["emc_id", "day"]), models.Index(fields=["day"])]


class SolutionDay(Rollup):
    emc_id = models.BigIntegerField()
    solution_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    net_minor = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["emc_id", "day"]), models.Index(fields=["day"])]


class PartnerDay(Rollup):
    """The value of the events a partner took part in (net), per EMC and currency."""

    emc_id = models.BigIntegerField()
    partner_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    events = models.IntegerField(default=0)
    value_minor = models.BigIntegerField(default=0)
    refunds = models.IntegerField(default=0)  # refund events it took part in (the scorecards)
    refund_minor = models.BigIntegerField(default=0)  # their amount, positive

    class Meta:
        indexes = [
            models.Index(fields=["emc_id", "day"]),
            models.Index(fields=["day"]),
            models.Index(fields=["partner_id", "day"]),
        ]


class PartnerSignalDay(Rollup):
    """Ratings and co-creations on the solutions a partner provides (`Solution.provider_partners`):
    the user-experience margin of the partner's scorecard. A signal on a solution of several
    providers counts for each of them."""

    emc_id = models.BigIntegerField()
    partner_id = models.BigIntegerField()
    ratings = models.IntegerField(default=0)
    ratings_above = models.IntegerField(default=0)
    ratings_below = models.IntegerField(default=0)
    margin_sum = models.IntegerField(default=0)  # sum of (rating - expectation)
    cocreations = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["partner_id", "day"]), models.Index(fields=["day"])]


class EarnedDay(Rollup):
    """What the ledger credited to an ME or a partner (its share legs, net of refunds and
    reversals), per EMC of the event and currency."""

    emc_id = models.BigIntegerField()
    owner_kind = models.CharField(max_length=7)  # "me" or "partner"
    owner_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    earned_minor = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["emc_id", "day"]), models.Index(fields=["day"])]


class SignalDay(Rollup):
    emc_id = models.BigIntegerField()
    me_id = models.BigIntegerField()
    ratings = models.IntegerField(default=0)
    ratings_above = models.IntegerField(default=0)
    margin_sum = models.IntegerField(default=0)  # sum of (rating - expectation)
    cocreations = models.IntegerField(default=0)
    stories = models.IntegerField(default=0)
    related = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["emc_id", "day"]), models.Index(fields=["day"])]


class UserDay(Rollup):
    """What one end user did in an EMC/ME on a day; `day_no` is the day's ordinal (portable
    arithmetic in the set-based SQL of scoring.users)."""

    day_no = models.IntegerField()
    emc_id = models.BigIntegerField()
    me_id = models.BigIntegerField()
    user_ref = models.CharField(max_length=64)
    paid = models.BooleanField(default=False)
    superior = models.BooleanField(default=False)
    cocreation = models.BooleanField(default=False)
    story = models.BooleanField(default=False)
    related = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["ingest", "day_no"]), models.Index(fields=["day_no"])]


class UserState(models.Model):
    """One end user in one scope (the ecosystem, an EMC or an ME) as of the state's date: the
    last day of each of the five things that classify a user, the class, and the first day the
    class would change if nothing new came (`lapses_on`). Days are ordinals."""

    class Scope(models.TextChoices):
        ECOSYSTEM = "eco", _("Ecosystem")
        EMC = "emc", _("EMC")
        ME = "me", _("ME")

    class Klass(models.TextChoices):
        TRANSACTIONAL = "transactional", _("Transactional")
        INTERACTIVE = "interactive", _("Interactive")
        LIFELONG = "lifelong", _("Life-long")
        LAPSED = "lapsed", _("Not active")

    scope = models.CharField(max_length=3, choices=Scope.choices)
    scope_id = models.BigIntegerField()
    user_ref = models.CharField(max_length=64)
    last_paid = models.IntegerField(null=True)
    last_superior = models.IntegerField(null=True)
    last_cocreation = models.IntegerField(null=True)
    last_story = models.IntegerField(null=True)
    last_related = models.IntegerField(null=True)
    klass = models.CharField(max_length=13, choices=Klass.choices, default=Klass.LAPSED)
    lapses_on = models.IntegerField(null=True)
    # the signals held when the row was last classified (bits: 1 superior, 2 co-creation,
    # 4 story, 8 related): with the class, what the row adds to its scope's ClassCount
    held = models.PositiveSmallIntegerField(default=0)
    stamp = models.BigIntegerField(default=0, help_text=_("The run that last touched the row."))

    class Meta:
        constraints = [
            # the user first: a user's rows in every scope are neighbours in the index and, as
            # a rebuild writes them in this order, on the same heap page (scoring.users)
            models.UniqueConstraint(fields=["user_ref", "scope", "scope_id"], name="user_state_unique"),
        ]
        # the unique key is the only index: the counts read the whole state or ClassCount, the
        # lapsing users are found from the rollups (scoring.users), and a night's updates change
        # no indexed column, so on PostgreSQL they are heap-only (fillfactor: migration 0006)

    def __str__(self):
        return f"{self.scope}:{self.scope_id}:{self.user_ref} {self.klass}"


class ClassCount(models.Model):
    """Active users of one scope and class as a run found them: the previous run's counts plus
    what the users the run re-classified changed (a full pass over the state only when it is
    rebuilt); the chunks and the ecosystem step read these rows, not the state."""

    run = models.ForeignKey("NightlyRun", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=3, choices=UserState.Scope.choices)
    scope_id = models.BigIntegerField()
    klass = models.CharField(max_length=13, choices=UserState.Klass.choices)
    users = models.IntegerField()
    superior = models.IntegerField()
    cocreation = models.IntegerField()
    story = models.IntegerField()
    related = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "scope", "scope_id", "klass"], name="class_count_unique")
        ]

    def __str__(self):
        return f"{self.scope}:{self.scope_id} {self.klass} {self.users}"


class StateMark(models.Model):
    """Which (date, ingest) the per-user state stands at (one row, key 'users')."""

    key = models.CharField(max_length=20, unique=True)
    day_no = models.IntegerField()
    ingest = models.ForeignKey(Ingest, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(NightlyRun, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self):
        return f"{self.key} @ {self.day_no}/{self.ingest_id}"


class WindowState(models.Model):
    """The rollups summed over trailing windows ending on `day`, as recorded up to `ingest`: the
    state the next night advances by its own rollup rows and the days entering and leaving the
    windows (scoring/windows.py), instead of reading every window whole. One per `name` (who
    keeps it: the nightly figures, the partner scorecards) and day; `shape` is what it sums over
    which windows (a changed shape, e.g. another SCORING_PERIOD_DAYS, starts again from the
    rollups)."""

    name = models.CharField(max_length=20)
    day = models.DateField()
    ingest = models.ForeignKey(Ingest, on_delete=models.CASCADE, related_name="+")
    shape = models.JSONField(default=dict)
    advanced = models.BooleanField(
        default=False, help_text=_("Advanced from an earlier night, not read whole.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-day"]
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="window_state_one_per_day")]

    def __str__(self):
        return f"{self.name} window sums of {self.day} (ingest {self.ingest_id})"


class WindowSum(models.Model):
    """One key's sums over one span of a `WindowState`: `kind` names the rollup and what n1..n6
    hold (scoring.windows.Source), `emc` the EMC the sums are kept per (0: over all), `key` the
    rollup's own key (a partner, a category, an ME...; 0: none); `rows` counts the rollup rows
    summed (a key with none is dropped, as a window that has no rows)."""

    state = models.ForeignKey(WindowState, on_delete=models.CASCADE, related_name="sums")
    kind = models.CharField(max_length=12)
    span = models.PositiveSmallIntegerField()
    emc = models.BigIntegerField(default=0)
    key = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    rows = models.IntegerField()
    n1 = models.BigIntegerField(default=0)
    n2 = models.BigIntegerField(default=0)
    n3 = models.BigIntegerField(default=0)
    n4 = models.BigIntegerField(default=0)
    n5 = models.BigIntegerField(default=0)
    n6 = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["state", "emc"])]

    def __str__(self):
        return f"{self.kind} {self.emc}/{self.key} span {self.span}"


# --- results -------------------------------------------------------------------------------


class Snapshot(models.Model):
    """One figure of one subject on one date, as computed by one run."""

    class Subject(models.TextChoices):
        ECOSYSTEM = "ecosystem", _("Ecosystem")
        EMC = "emc", _("EMC")
        ME = "me", _("ME")
        PARTNER = "partner", _("Partner")

    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    metric = models.CharField(max_length=40)
    subject_kind = models.CharField(max_length=9, choices=Subject.choices)
    subject_id = models.BigIntegerField(default=0)
    value = models.DecimalField(max_digits=24, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    figures = models.JSONField(default=dict, blank=True, help_text=_("Secondary figures and contributions."))
    inputs = models.JSONField(default=dict, blank=True, help_text=_("Counts of what the figure is made of."))
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["day", "metric", "subject_kind", "subject_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "metric", "subject_kind", "subject_id"], name="snapshot_unique_per_run"
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "subject_kind", "subject_id", "day"]),
            models.Index(fields=["day", "metric"]),
        ]

    def __str__(self):
        return f"{self.day} {self.metric} {self.subject_kind}:{self.subject_id} = {self.value}"

    @property
    def has_data(self) -> bool:
        return self.value is not None


class IndexSettingQuerySet(models.QuerySet):
    def readable(self):
        """The rows with their target read as text (`stored_target`), so a stored target the
        field cannot hold (an infinity on SQLite) reads as no target instead of failing the read."""
        return self.defer("target").annotate(target_text=Cast("target", models.CharField()))


class IndexSetting(models.Model):
    """An admin's target (metrics) or weight (metrics, criteria, perspectives) for the index;
    absent rows take the registry's defaults. Applies from the next run (a run copies them)."""

    class Level(models.TextChoices):
        METRIC = "metric", _("Metric")
        CRITERION = "criterion", _("Criterion")
        PERSPECTIVE = "perspective", _("Perspective")

    level = models.CharField(max_length=11, choices=Level.choices)
    code = models.CharField(max_length=40)
    weight = models.DecimalField(max_digits=7, decimal_places=2)
    target = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = IndexSettingQuerySet.as_manager()

    class Meta:
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="index_setting_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="index_setting_weight_positive"),
        ]

    def __str__(self):
        return f"{self.level} {self.code}: {self.weight}"

    @property
    def stored_target(self) -> Decimal | None:
        """The target of a `readable()` row, or None when unset or not a number the field holds."""
        try:
            target = Decimal(self.target_text)
        except (InvalidOperation, TypeError, ValueError):
            return None
        field = self._meta.get_field("target")
        limit = Decimal(10) ** (field.max_digits - field.decimal_places)
        return target if target.is_finite() and abs(target) < limit else None

"""The organization: microenterprises, EMCs, scenarios/solutions, partners, and the audit trail.

Nothing here is hard-deleted: MEs and EMCs end with a status and an end date, memberships and
participations with a `left_on`/`ended_on`, and every state change leaves an AuditEntry.
Write through `orgs.services`; the models hold fields, constraints and plain derived properties.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

WEIGHT_TOTAL = Decimal("100")  # member and node share weights are percentages of their pool


class Lookup(models.Model):
    """An extensible list of codes (ME kinds, partner roles, tiers...) that admins can add to."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        # the reference rows' names are in the catalogue (locale/): shown in the active language
        return gettext(self.name)


# --- Reference data ------------------------------------------------------------------------


class Industry(models.Model):
    """An ISIC Rev. 4 node: section (A-U), division (2 digits), group (3) or class (4)."""

    class Level(models.TextChoices):
        SECTION = "section", _("Section")
        DIVISION = "division", _("Division")
        GROUP = "group", _("Group")
        CLASS = "class", _("Class")

    code = models.CharField(max_length=4, unique=True)
    level = models.CharField(max_length=8, choices=Level.choices)
    title = models.CharField(max_length=255)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("industries")

    def __str__(self):
        return f"{self.code} {self.title}"


class Category(models.Model):
    """A category of products/services; value from non-core categories is ecosystem revenue."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    is_core = models.BooleanField(
        default=True, help_text=_("Inside the organizer's original business scope.")
    )
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Scenario(models.Model):
    """A user scenario (smart balcony, home fitness...) that EMCs are built around."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MEKind(Lookup):
    class Meta(Lookup.Meta):
        verbose_name = _("ME kind")


class PartnerRole(Lookup):
    pass


class PartnerTier(Lookup):
    rank = models.PositiveSmallIntegerField(default=0, help_text=_("Higher is better."))

    class Meta(Lookup.Meta):
        ordering = ["rank"]


class PlatformStandard(Lookup):
    """A standard of the platform that partners may be certified against."""


class PlatformResource(Lookup):
    """A shared platform resource (IoT cloud, logistics network, design lab...)."""


# --- Microenterprises ----------------------------------------------------------------------


class Microenterprise(models.Model):
    class Status(models.TextChoices):
        INCUBATING = "incubating", _("Incubating")
        ACTIVE = "active", _("Active")
        MERGED = "merged", _("Merged")
        SPLIT = "split", _("Split")
        DISSOLVED = "dissolved", _("Dissolved")

    LIVE_STATUSES = (Status.INCUBATING, Status.ACTIVE)

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.ForeignKey(MEKind, on_delete=models.PROTECT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INCUBATING, db_index=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="led_mes"
    )
    founded_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    parents = models.ManyToManyField(
        "self", through="MELineage", symmetrical=False, related_name="children", blank=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("microenterprise")

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("orgs:me-detail", args=[self.code])

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


class MELineage(models.Model):
    """Who came from where: one row per parent→child edge of a split or merge."""

    class Event(models.TextChoices):
        SPLIT = "split", _("Split")
        MERGE = "merge", _("Merge")

    parent = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="child_links")
    child = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="parent_links")
    event = models.CharField(max_length=8, choices=Event.choices)
    on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["parent", "child"], name="me_lineage_unique_edge")]

    def __str__(self):
        return f"{self.parent_id} → {self.child_id} ({self.event})"


class Membership(models.Model):
    """A person's membership of an ME with a pay-share weight (% of the ME's incentive)."""

    me = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    weight = models.DecimalField(max_digits=7, decimal_places=4, validators=[MinValueValidator(0)])
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["me", "-weight"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="membership_weight_not_negative"),
            models.UniqueConstraint(
                fields=["me", "user"],
                condition=Q(left_on__isnull=True),
                name="membership_one_open_per_person",
            ),
        ]
        indexes = [models.Index(fields=["user", "left_on"])]

    def __str__(self):
        return f"{self.user} in {self.me.code} ({self.weight}%)"


# --- EMCs ----------------------------------------------------------------------------------


class EMC(models.Model):
    """An ecosystem micro-community (链群): MEs and partners around user scenarios."""

    class Kind(models.TextChoices):
        EXPERIENCE = "experience", _("Experience EMC")
        SOLUTION = "solution", _("Solution EMC")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SPLIT = "split", _("Split")
        DISBANDED = "disbanded", _("Disbanded")

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    scenarios = models.ManyToManyField(Scenario, related_name="emcs", blank=True)
    lead_me = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="led_emcs")
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="split_into"
    )
    formed_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("EMC")
        verbose_name_plural = _("EMCs")

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("orgs:emc-detail", args=[self.code])


class EMCNode(models.Model):
    """An ME's seat in an EMC: the obligations it bid for and its share weight (%)."""

    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="nodes")
    me = models.ForeignKey(Microenterprise, on_delete=models.PROTECT, related_name="emc_nodes")
    obligations = models.TextField(blank=True)
    share_weight = models.DecimalField(max_digits=7, decimal_places=4, validators=[MinValueValidator(0)])
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["emc", "-share_weight"]
        constraints = [
            models.CheckConstraint(condition=Q(share_weight__gte=0), name="emc_node_weight_not_negative"),
            models.UniqueConstraint(
                fields=["emc", "me"], condition=Q(left_on__isnull=True), name="emc_node_one_open_per_me"
            ),
        ]
        indexes = [models.Index(fields=["me", "left_on"])]

    def __str__(self):
        return f"{self.me.code} in {self.emc.code}"


class EMCParticipation(models.Model):
    """A partner taking part in an EMC from `started_on` until `ended_on` (exclusive), if set."""

    emc = models.ForeignKey(EMC, on_delete=models.PROTECT, related_name="participations")
    partner = models.ForeignKey("Partner", on_delete=models.PROTECT, related_name="participations")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["emc", "partner"]
        constraints = [
            models.UniqueConstraint(
                fields=["emc", "partner"], condition=Q(ended_on__isnull=True), name="participation_one_open"
            ),
        ]
        indexes = [models.Index(fields=["partner", "ended_on"])]

    def __str__(self):
        return f"{self.partner} in {self.emc.code}"


# --- Solutions -----------------------------------------------------------------------------


class Solution(models.Model):
    """A scenario solution: bundles categories, provided by MEs and/or partners, iterated."""

    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="solutions")
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    categories = models.ManyToManyField(Category, related_name="solutions")
    provider_mes = models.ManyToManyField(Microenterprise, related_name="solutions", blank=True)
    provider_partners = models.ManyToManyField("Partner", related_name="solutions", blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class SolutionVersion(models.Model):
    """One iteration of a solution, dated (metric 7 counts these)."""

    solution = models.ForeignKey(Solution, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    released_on = models.DateField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["solution", "number"]
        constraints = [
            models.UniqueConstraint(fields=["solution", "number"], name="solution_version_unique"),
        ]

    def __str__(self):
        return f"{self.solution.code} v{self.number}"


# --- Partners ------------------------------------------------------------------------------


class Partner(models.Model):
    """An outside firm in the ecosystem, with its entry/exit state (see orgs.lifecycle)."""

    class State(models.TextChoices):
        APPLIED = "applied", _("Applied")
        PROBATION = "probation", _("Probation")
        ACTIVE = "active", _("Active")
        ON_WATCH = "on_watch", _("On watch")
        PHASED_OUT = "phased_out", _("Phased out")
        REJECTED = "rejected", _("Rejected")

    CREDITABLE_STATES = (State.PROBATION, State.ACTIVE, State.ON_WATCH)

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200, db_index=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.APPLIED, db_index=True)
    state_since = models.DateField()
    tier = models.ForeignKey(PartnerTier, on_delete=models.PROTECT, related_name="partners")
    roles = models.ManyToManyField(PartnerRole, related_name="partners")
    industries = models.ManyToManyField(Industry, related_name="partners", blank=True)
    resources = models.ManyToManyField(PlatformResource, related_name="partners", blank=True)
    revenue_baseline_minor = models.BigIntegerField(
        default=0, help_text=_("Ecosystem revenue declared at entry, in minor units of baseline_currency.")
    )
    baseline_currency = models.CharField(max_length=3, default="CNY")
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=50, blank=True)
    website = models.URLField(blank=True)
    offer = models.TextField(
        blank=True, help_text=_("What the firm offers the ecosystem, in its application.")
    )
    applied_on = models.DateField()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["state", "tier"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("orgs:partner-detail", args=[self.code])


class PartnerUser(models.Model):
    """A login of an outside firm: the user holds the `partner` role and acts for this one
    partner only (its application, scorecard, proposals and appeals, statements)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_link"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="users")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "user"]

    def __str__(self):
        return f"{self.user} for {self.partner}"


class Certification(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="certifications")
    standard = models.ForeignKey(PlatformStandard, on_delete=models.PROTECT)
    certified_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["partner", "standard"]

    def __str__(self):
        return f"{self.partner} · {self.standard}"


class ResourceUse(models.Model):
    """A partner's use of a shared platform resource from `started_on` until `ended_on`
    (exclusive), if set; written by `orgs.services.resource_use_start` / `resource_use_end`."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="resource_uses")
    resource = models.ForeignKey(PlatformResource, on_delete=models.PROTECT, related_name="uses")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "resource", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "resource"],
                condition=Q(ended_on__isnull=True),
                name="resource_use_one_open",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on")),
                name="resource_use_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["resource", "started_on"])]

    def __str__(self):
        return f"{self.partner} uses {self.resource} from {self.started_on}"


class PartnerTransition(models.Model):
    """One step of a partner's lifecycle or tier: who, when, why, with optional evidence."""

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        TIER = "tier", _("Tier")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="transitions")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.STATE)
    from_value = models.CharField(max_length=50, blank=True)
    to_value = models.CharField(max_length=50)
    effective_on = models.DateField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    evidence = models.TextField(blank=True)
    proposal = models.ForeignKey("PartnerProposal", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["partner", "-at", "-id"]
        indexes = [models.Index(fields=["partner", "at"]), models.Index(fields=["to_value", "effective_on"])]

    def __str__(self):
        return f"{self.partner}: {self.from_value} → {self.to_value}"


class PartnerProposal(models.Model):
    """A suggestion (from the nightly job or a person) to put a partner on watch or phase it out."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="proposals")
    to_state = models.CharField(max_length=12, choices=Partner.State.choices)
    reason = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    source = models.CharField(
        max_length=50, default="nightly", help_text=_("Who proposed: a job name or 'manual'.")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # one open proposal per partner and target: the nightly job can run twice safely
            models.UniqueConstraint(
                fields=["partner", "to_state"], condition=Q(status="open"), name="proposal_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.partner} → {self.to_state} ({self.status})"


# --- Audit trail ---------------------------------------------------------------------------


class AuditEntry(models.Model):
    """Who changed what, when and why; written by services in the same transaction as the change."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    action = models.CharField(max_length=60, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(max_length=255)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        verbose_name_plural = _("audit entries")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

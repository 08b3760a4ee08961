"""Django admin for every organization model, on the same rules as the UI and the API.

Permissions come from orgs/rules.py (`orgs.view` to read, `orgs.manage` / `orgs.manage_partners`
to change); nothing can be deleted. Status and state fields are read-only: lifecycle changes
are admin actions that call the services with the reason typed in the action bar, so the
admin writes the same timeline and audit rows as every other interface.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db import models
from django.shortcuts import redirect
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orgs import lifecycle, services
from orgs.models import (
    EMC,
    AuditEntry,
    Category,
    Certification,
    EMCNode,
    EMCParticipation,
    Industry,
    MEKind,
    MELineage,
    Membership,
    Microenterprise,
    Partner,
    PartnerProposal,
    PartnerRole,
    PartnerTier,
    PartnerTransition,
    PartnerUser,
    PlatformResource,
    PlatformStandard,
    ResourceUse,
    Scenario,
    Solution,
    SolutionVersion,
)
from orgs.services.logins import login_unlock


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.TextInput(attrs={"size": 40}))
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=PartnerTier.objects.all(), required=False)


def _messages_from(request, exc: ValidationError, obj) -> None:
    texts = [m for msgs in getattr(exc, "message_dict", {"": exc.messages}).values() for m in msgs]
    messages.error(request, f"{obj}: {' '.join(texts)}")


class RulesAdmin(admin.ModelAdmin):
    """Ask orgs/rules.py; never delete."""

    view_rule = "orgs.view"
    change_rule = "orgs.manage"

    def has_module_permission(self, request):
        return request.user.has_perm(self.view_rule)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(self.view_rule, obj)

    def has_add_permission(self, request):
        return request.user.has_perm(self.change_rule)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(self.change_rule, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A service refusing the save (its transaction rolled back) shows its message, not a 500."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            _messages_from(request, exc, self.opts.verbose_name)
            return redirect(request.get_full_path())

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not request.user.has_perm(self.change_rule):
            return {}
        return actions


class ReadOnlyAdmin(RulesAdmin):
    """History rows: written by the services only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReferenceAdmin(RulesAdmin):
    """Reference rows without a lifecycle: saved through `reference_save`, which audits."""

    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        services.reference_save(actor=request.user, instance=obj, changed=form.changed_data)


def _run(request, queryset, call, done_message):
    done = 0
    for obj in queryset:
        try:
            call(obj)
            done += 1
        except ValidationError as exc:
            _messages_from(request, exc, obj)
    if done:
        messages.success(request, done_message % {"n": done})


# --- reference data -------------------------------------------------------------------------


for lookup in (MEKind, PartnerRole, PlatformStandard, PlatformResource, Scenario):
    admin.site.register(lookup, ReferenceAdmin)


@admin.register(PartnerTier)
class PartnerTierAdmin(ReferenceAdmin):
    list_display = ["name", "code", "rank"]


@admin.register(Category)
class CategoryAdmin(ReferenceAdmin):
    list_display = ["name", "code", "is_core", "industry"]
    list_filter = ["is_core"]
    autocomplete_fields = ["industry"]


@admin.register(Industry)
class IndustryAdmin(ReadOnlyAdmin):
    list_display = ["code", "level", "title"]
    list_filter = ["level"]
    search_fields = ["code", "title"]


class VersionInline(admin.TabularInline):
    model = SolutionVersion
    extra = 0
    can_delete = False
    readonly_fields = ["number", "released_on", "notes"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Solution)
class SolutionAdmin(ReferenceAdmin):
    list_display = ["name", "code", "scenario"]
    list_filter = ["scenario"]
    filter_horizontal = ["categories", "provider_mes", "provider_partners"]
    inlines = [VersionInline]
    actions = ["add_version"]

    @admin.action(description=_("Record a new version (iteration) today"))
    def add_version(self, request, queryset):
        _run(
            request,
            queryset,
            lambda s: services.solution_version_add(
                solution=s, actor=request.user, notes=request.POST.get("reason", "")
            ),
            _("%(n)s new version(s) recorded."),
        )


@admin.register(SolutionVersion)
class SolutionVersionAdmin(ReadOnlyAdmin):
    list_display = ["solution", "number", "released_on"]


@admin.register(Certification)
class CertificationAdmin(ReferenceAdmin):
    list_display = ["partner", "standard", "certified_on", "expires_on"]
    search_fields = ["partner__name", "standard__name"]
    autocomplete_fields = ["partner"]
    change_rule = "orgs.manage_partners"


@admin.register(PartnerUser)
class PartnerUserAdmin(ReferenceAdmin):
    """Which login acts for which partner (the user also needs the `partner` group)."""

    list_display = ["user", "partner", "created_at"]
    search_fields = ["user__username", "partner__name"]
    autocomplete_fields = ["partner"]
    raw_id_fields = ["user"]
    change_rule = "orgs.manage_partners"


# --- microenterprises -----------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    readonly_fields = ["user", "weight", "joined_on", "left_on"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Microenterprise)
class MicroenterpriseAdmin(RulesAdmin):
    list_display = ["code", "name", "kind", "status", "leader", "founded_on", "ended_on"]
    list_filter = ["status", "kind"]
    search_fields = ["code", "name"]
    readonly_fields = ["status", "ended_on"]
    inlines = [MembershipInline]
    action_form = ReasonActionForm
    actions = ["activate", "dissolve"]
    fields = ["code", "name", "kind", "leader", "founded_on", "status", "ended_on"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code", "founded_on"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            services.me_update(me=obj, actor=request.user, name=obj.name, kind=obj.kind, leader=obj.leader)
        else:
            created = services.me_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                kind=obj.kind,
                leader=obj.leader,
                founded_on=obj.founded_on,
            )
            obj.pk = created.pk

    @admin.action(description=_("Activate (incubating → active)"))
    def activate(self, request, queryset):
        _run(
            request,
            queryset,
            lambda me: services.me_activate(me=me, actor=request.user, reason=request.POST.get("reason", "")),
            _("%(n)s ME(s) activated."),
        )

    @admin.action(description=_("Dissolve (members return to the unassigned pool; reason required)"))
    def dissolve(self, request, queryset):
        _run(
            request,
            queryset,
            lambda me: services.me_dissolve(me=me, actor=request.user, reason=request.POST.get("reason", "")),
            _("%(n)s ME(s) dissolved."),
        )


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["me", "user", "weight", "joined_on", "left_on"]
    list_filter = ["left_on"]
    search_fields = ["me__code", "user__username"]


@admin.register(MELineage)
class MELineageAdmin(ReadOnlyAdmin):
    list_display = ["parent", "child", "event", "on"]


# --- EMCs -----------------------------------------------------------------------------------


class NodeInline(admin.TabularInline):
    model = EMCNode
    extra = 0
    can_delete = False
    readonly_fields = ["me", "share_weight", "obligations", "joined_on", "left_on"]

    def has_add_permission(self, request, obj=None):
        return False


class ParticipationInline(admin.TabularInline):
    model = EMCParticipation
    extra = 0
    can_delete = False
    readonly_fields = ["partner", "started_on", "ended_on", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EMC)
class EMCAdmin(RulesAdmin):
    list_display = ["code", "name", "kind", "status", "lead_me", "formed_on", "ended_on"]
    list_filter = ["kind", "status", "scenarios"]
    search_fields = ["code", "name"]
    readonly_fields = ["status", "ended_on", "split_from"]
    inlines = [NodeInline, ParticipationInline]
    action_form = ReasonActionForm
    actions = ["disband"]
    fields = ["code", "name", "kind", "lead_me", "scenarios", "formed_on", "status", "split_from", "ended_on"]
    autocomplete_fields = ["lead_me"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code", "kind", "formed_on"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            services.emc_update(
                emc=obj,
                actor=request.user,
                name=obj.name,
                lead_me=obj.lead_me,
                scenarios=form.cleaned_data.get("scenarios"),
            )
        else:
            created = services.emc_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                kind=obj.kind,
                lead_me=obj.lead_me,
                formed_on=obj.formed_on,
                scenarios=list(form.cleaned_data.get("scenarios") or []),
            )
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        """Scenarios were set by the service; inlines are read-only."""

    @admin.action(description=_("Disband (ends seats and participations; reason required)"))
    def disband(self, request, queryset):
        _run(
            request,
            queryset,
            lambda emc: services.emc_disband(
                emc=emc, actor=request.user, reason=request.POST.get("reason", "")
            ),
            _("%(n)s EMC(s) disbanded."),
        )


@admin.register(EMCNode)
class EMCNodeAdmin(ReadOnlyAdmin):
    list_display = ["emc", "me", "share_weight", "joined_on", "left_on"]
    search_fields = ["emc__code", "me__code"]


@admin.register(EMCParticipation)
class EMCParticipationAdmin(ReadOnlyAdmin):
    list_display = ["emc", "partner", "started_on", "ended_on"]
    search_fields = ["emc__code", "partner__name"]


# --- partners -------------------------------------------------------------------------------


def _transition_action(name: str):
    def act(modeladmin, request, queryset):
        _run(
            request,
            queryset,
            lambda p: services.partner_act(
                partner=p, action=name, actor=request.user, reason=request.POST.get("reason", "")
            ),
            _("%(n)s partner(s) updated."),
        )

    act.__name__ = f"partner_{name}"
    target = Partner.State(lifecycle.ACTION_TARGETS[name]).label

    def describe() -> str:  # translated when the admin page renders, not at import
        return gettext("%(action)s → %(target)s (reason required)") % {
            "action": lifecycle.ACTION_LABELS[name],
            "target": target,
        }

    return admin.action(description=lazy(describe, str)())(act)


class TransitionInline(admin.TabularInline):
    model = PartnerTransition
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "kind",
        "from_value",
        "to_value",
        "effective_on",
        "actor",
        "at",
        "reason",
        "evidence",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Partner)
class PartnerAdmin(RulesAdmin):
    change_rule = "orgs.manage_partners"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "code", "state", "state_since", "tier", "applied_on"]
    list_filter = ["state", "tier", "roles"]
    search_fields = ["name", "code"]
    readonly_fields = ["state", "state_since"]
    filter_horizontal = ["roles", "industries", "resources"]
    inlines = [TransitionInline]
    action_form = ReasonActionForm
    actions = [*(_transition_action(name) for name in lifecycle.ACTION_TARGETS), "change_tier"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code", "tier", "applied_on"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.partner_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                roles=list(form.cleaned_data["roles"]),
                tier=obj.tier,
                industries=list(form.cleaned_data["industries"]),
                resources=list(form.cleaned_data["resources"]),
                revenue_baseline_minor=obj.revenue_baseline_minor,
                baseline_currency=obj.baseline_currency,
                contact_name=obj.contact_name,
                contact_email=obj.contact_email,
                contact_phone=obj.contact_phone,
                website=obj.website,
                applied_on=obj.applied_on,
            )
            obj.pk = created.pk
            return
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
        for m2m in ("roles", "industries", "resources"):
            if m2m in data:
                data[m2m] = list(data[m2m])
        services.partner_update(partner=obj, actor=request.user, data=data)

    def save_related(self, request, form, formsets, change):
        """Roles, industries and resources were saved by the service; inlines are read-only."""

    @admin.action(description=_("Change tier to the tier chosen above (reason required)"))
    def change_tier(self, request, queryset):
        tier = PartnerTier.objects.filter(pk=request.POST.get("tier") or None).first()
        if tier is None:
            messages.error(request, _("Choose a tier."))
            return
        _run(
            request,
            queryset,
            lambda p: services.partner_tier_change(
                partner=p, tier=tier, actor=request.user, reason=request.POST.get("reason", "")
            ),
            _("%(n)s partner(s) re-tiered."),
        )


@admin.register(ResourceUse)
class ResourceUseAdmin(ReadOnlyAdmin):
    """Read here; uses are recorded and ended on the partner's page or the API (audited)."""

    list_display = ["partner", "resource", "started_on", "ended_on", "created_by"]
    list_filter = ["resource"]
    search_fields = ["partner__name"]


@admin.register(PartnerTransition)
class PartnerTransitionAdmin(ReadOnlyAdmin):
    list_display = ["partner", "kind", "from_value", "to_value", "effective_on", "actor", "at"]
    list_filter = ["kind", "to_value"]
    search_fields = ["partner__name", "reason"]


@admin.register(PartnerProposal)
class PartnerProposalAdmin(RulesAdmin):
    change_rule = "orgs.manage_partners"
    list_display = ["partner", "to_state", "status", "source", "created_at", "decided_by"]
    list_filter = ["status", "to_state", "source"]
    readonly_fields = [
        "partner",
        "to_state",
        "reason",
        "evidence",
        "source",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    action_form = ReasonActionForm
    actions = ["accept", "dismiss"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Accept (runs the transition)"))
    def accept(self, request, queryset):
        _run(
            request,
            queryset,
            lambda p: services.partner_proposal_accept(
                proposal=p, actor=request.user, reason=request.POST.get("reason", "")
            ),
            _("%(n)s proposal(s) accepted."),
        )

    @admin.action(description=_("Dismiss (reason required)"))
    def dismiss(self, request, queryset):
        _run(
            request,
            queryset,
            lambda p: services.partner_proposal_dismiss(
                proposal=p, actor=request.user, reason=request.POST.get("reason", "")
            ),
            _("%(n)s proposal(s) dismissed."),
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    view_rule = "orgs.view_audit"
    list_display = ["at", "actor", "action", "object_repr", "reason"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "reason", "actor__username"]


# --- login throttling (django-axes) -----------------------------------------------------------
# Axes' own admin lists the failed logins; here a platform admin unlocks them with a reason, which
# the audit trail keeps. Deleting rows (an unlock without a trace) is not offered.

admin.site.unregister(AccessAttempt)
for model in (AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    action_form = ReasonActionForm
    actions = ["unlock"]

    def has_module_permission(self, request):
        return request.user.has_perm("orgs.manage")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orgs.manage")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Unlock (forget these failed logins)"))
    def unlock(self, request, queryset):
        n = login_unlock(actor=request.user, attempts=queryset, reason=request.POST.get("reason", ""))
        messages.success(request, _("%(n)s login lockout(s) lifted.") % {"n": n})

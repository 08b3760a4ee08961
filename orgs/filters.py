"""FilterSets shared by the web UI and the API, so both filter the same way."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from orgs.models import (
    EMC,
    AuditEntry,
    EMCParticipation,
    Industry,
    Microenterprise,
    Partner,
    PartnerProposal,
    Scenario,
)


def industry_ids_under(code: str):
    """Ids of the industry `code` and everything below it: a section letter (e.g. C), or a
    division/group/class prefix (e.g. 27 matches 271, 2710...)."""
    code = code.strip().upper()
    if not code:
        return Industry.objects.none().values("id")
    if code.isalpha():
        divisions = Industry.objects.filter(parent__code=code).values_list("code", flat=True)
        prefix = Q(code=code)
        for division in divisions:
            prefix |= Q(code__startswith=division)
        return Industry.objects.filter(prefix).values("id")
    return Industry.objects.filter(code__startswith=code).values("id")


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.MultipleChoiceFilter(choices=Partner.State.choices, label=_("State"))
    tier = django_filters.CharFilter(field_name="tier__code", label=_("Tier"))
    role = django_filters.CharFilter(method="by_role", label=_("Role"))
    industry = django_filters.CharFilter(method="by_industry", label=_("Industry (ISIC code or prefix)"))
    emc = django_filters.CharFilter(method="by_emc", label=_("Takes part in EMC"))

    class Meta:
        model = Partner
        fields = ["q", "state", "tier", "role", "industry", "emc"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else queryset

    def by_role(self, queryset, name, value):
        through = Partner.roles.through.objects.filter(partner=OuterRef("pk"), partnerrole__code=value)
        return queryset.filter(Exists(through))

    def by_industry(self, queryset, name, value):
        through = Partner.industries.through.objects.filter(
            partner=OuterRef("pk"), industry_id__in=industry_ids_under(value)
        )
        return queryset.filter(Exists(through))

    def by_emc(self, queryset, name, value):
        open_rows = EMCParticipation.objects.filter(
            partner=OuterRef("pk"), emc__code=value, ended_on__isnull=True
        )
        return queryset.filter(Exists(open_rows))


class MEFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Microenterprise.Status.choices, label=_("Status"))
    kind = django_filters.CharFilter(field_name="kind__code", label=_("Kind"))
    emc = django_filters.CharFilter(method="by_emc", label=_("Seat in EMC"))

    class Meta:
        model = Microenterprise
        fields = ["q", "status", "kind", "emc"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else queryset

    def by_emc(self, queryset, name, value):
        return queryset.filter(emc_nodes__emc__code=value, emc_nodes__left_on__isnull=True)


class EMCFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=EMC.Kind.choices, label=_("Kind"))
    status = django_filters.MultipleChoiceFilter(choices=EMC.Status.choices, label=_("Status"))
    scenario = django_filters.ModelChoiceFilter(
        field_name="scenarios", queryset=Scenario.objects.all(), to_field_name="code", label=_("Scenario")
    )

    class Meta:
        model = EMC
        fields = ["q", "kind", "status", "scenario"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value)) if value else queryset


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action", lookup_expr="startswith", label=_("Action"))
    model = django_filters.CharFilter(field_name="content_type__model", label=_("Object type"))
    object_id = django_filters.CharFilter(field_name="object_id", label=_("Object id"))
    actor = django_filters.CharFilter(field_name="actor__username", label=_("Who"))

    class Meta:
        model = AuditEntry
        fields = ["action", "model", "object_id", "actor"]


class ProposalFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(help_text="open, accepted or dismissed")
    partner = django_filters.NumberFilter(field_name="partner_id")
    to_state = django_filters.CharFilter(help_text="on_watch or phased_out")

    class Meta:
        model = PartnerProposal
        fields = ["status", "partner", "to_state"]

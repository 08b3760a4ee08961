"""API shapes: output serializers render rows; input serializers only parse (the services decide)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from config import fields
from config.values import TEXT_LONG
from orgs import lifecycle
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
    PlatformResource,
    ResourceUse,
    Scenario,
    Solution,
    SolutionVersion,
)

User = get_user_model()


def _username_field(**kwargs):
    return fields.UsernameRelatedField(slug_field="username", queryset=User.objects.all(), **kwargs)


def _code_field(model, **kwargs):
    return fields.CodeRelatedField(slug_field="code", queryset=model.objects.all(), **kwargs)


def _reason(**kwargs):
    """A reason, evidence, note or description: at most TEXT_LONG characters, several lines."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("default", "")
    return fields.TextField(max_length=TEXT_LONG, multiline=True, **kwargs)


def _name(max_length: int = 200, **kwargs):
    return fields.TextField(max_length=max_length, **kwargs)


# --- output ---------------------------------------------------------------------------------


class MembershipOut(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["user", "weight", "joined_on", "left_on"]


class LineageOut(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code")
    child = serializers.CharField(source="child.code")

    class Meta:
        model = MELineage
        fields = ["parent", "child", "event", "on"]


class MEOut(serializers.ModelSerializer):
    kind = serializers.CharField(source="kind.code")
    leader = serializers.CharField(source="leader.username", allow_null=True, default=None)
    member_count = serializers.IntegerField(read_only=True, default=None)
    emc_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Microenterprise
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "status",
            "leader",
            "founded_on",
            "ended_on",
            "member_count",
            "emc_count",
        ]


class MEDetailOut(MEOut):
    members = serializers.SerializerMethodField()
    parents = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    class Meta(MEOut.Meta):
        fields = [*MEOut.Meta.fields, "members", "parents", "children"]

    def get_members(self, me) -> list[dict]:
        return MembershipOut(list(me.memberships.all()), many=True).data

    def get_parents(self, me) -> list[dict]:
        return LineageOut(me.parent_links.select_related("parent", "child"), many=True).data

    def get_children(self, me) -> list[dict]:
        return LineageOut(me.child_links.select_related("parent", "child"), many=True).data


class NodeOut(serializers.ModelSerializer):
    me = serializers.CharField(source="me.code")

    class Meta:
        model = EMCNode
        fields = ["me", "share_weight", "obligations", "joined_on", "left_on"]


class ParticipationOut(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code")
    partner_name = serializers.CharField(source="partner.name")
    partner_state = serializers.CharField(source="partner.state")
    emc = serializers.CharField(source="emc.code")

    class Meta:
        model = EMCParticipation
        fields = ["emc", "partner", "partner_name", "partner_state", "started_on", "ended_on", "note"]


class EMCOut(serializers.ModelSerializer):
    status = serializers.CharField(help_text="active, split or disbanded")
    lead_me = serializers.CharField(source="lead_me.code")
    scenarios = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    split_from = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    node_count = serializers.IntegerField(read_only=True, default=None)
    partner_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = EMC
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "status",
            "lead_me",
            "scenarios",
            "split_from",
            "formed_on",
            "ended_on",
            "node_count",
            "partner_count",
        ]


class EMCDetailOut(EMCOut):
    nodes = serializers.SerializerMethodField()
    participations = serializers.SerializerMethodField()

    class Meta(EMCOut.Meta):
        fields = [*EMCOut.Meta.fields, "nodes", "participations"]

    def get_nodes(self, emc) -> list[dict]:
        return NodeOut(emc.nodes.select_related("me").order_by("left_on", "-share_weight"), many=True).data

    def get_participations(self, emc) -> list[dict]:
        rows = emc.participations.select_related("partner", "emc").order_by("ended_on", "partner__name")
        return ParticipationOut(rows, many=True).data


class TransitionOut(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="state or tier")
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = PartnerTransition
        fields = [
            "id",
            "kind",
            "from_value",
            "to_value",
            "effective_on",
            "actor",
            "at",
            "reason",
            "evidence",
            "proposal",
        ]


class CertificationOut(serializers.ModelSerializer):
    standard = serializers.CharField(source="standard.code")

    class Meta:
        model = Certification
        fields = ["standard", "certified_on", "expires_on"]


class PartnerOut(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier.code")
    roles = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    industries = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Partner
        fields = [
            "id",
            "code",
            "name",
            "state",
            "state_since",
            "tier",
            "roles",
            "industries",
            "applied_on",
            "revenue_baseline_minor",
            "baseline_currency",
            "contact_name",
            "contact_email",
            "contact_phone",
            "website",
            "allowed_actions",
        ]

    def get_allowed_actions(self, partner) -> list[str]:
        return sorted(a.replace("_", "-") for a in lifecycle.allowed_actions(partner.state))


class PartnerDetailOut(PartnerOut):
    resources = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    certifications = CertificationOut(many=True, read_only=True)
    transitions = serializers.SerializerMethodField()
    participations = serializers.SerializerMethodField()

    class Meta(PartnerOut.Meta):
        fields = [*PartnerOut.Meta.fields, "resources", "certifications", "transitions", "participations"]

    def get_transitions(self, partner) -> list[dict]:
        return TransitionOut(
            partner.transitions.select_related("actor").order_by("-at", "-id"), many=True
        ).data

    def get_participations(self, partner) -> list[dict]:
        rows = partner.participations.select_related("partner", "emc").order_by("ended_on", "emc__code")
        return ParticipationOut(rows, many=True).data


class ProposalOut(serializers.ModelSerializer):
    to_state = serializers.CharField(help_text="on_watch or phased_out")
    status = serializers.CharField(help_text="open, accepted or dismissed")
    partner_code = serializers.CharField(source="partner.code")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)

    class Meta:
        model = PartnerProposal
        fields = [
            "id",
            "partner",
            "partner_code",
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


class ScenarioOut(serializers.ModelSerializer):
    class Meta:
        model = Scenario
        fields = ["id", "code", "name", "description"]


class CategoryOut(serializers.ModelSerializer):
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name", "is_core", "industry"]


class VersionOut(serializers.ModelSerializer):
    class Meta:
        model = SolutionVersion
        fields = ["number", "released_on", "notes"]


class SolutionOut(serializers.ModelSerializer):
    scenario = serializers.SlugRelatedField(slug_field="code", read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    provider_mes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    provider_partners = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    versions = VersionOut(many=True, read_only=True)

    class Meta:
        model = Solution
        fields = [
            "id",
            "code",
            "name",
            "scenario",
            "categories",
            "provider_mes",
            "provider_partners",
            "versions",
        ]


class IndustryOut(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Industry
        fields = ["id", "code", "level", "title", "parent"]


class AuditOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    model = serializers.CharField(source="content_type.model")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "action", "model", "object_id", "object_repr", "changes", "reason"]


# --- input ----------------------------------------------------------------------------------


class MemberIn(serializers.Serializer):
    user = _username_field()
    weight = fields.DecimalTextField(max_digits=12, decimal_places=6)


class MECreateIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = _name()
    kind = _code_field(MEKind)
    leader = _username_field(required=False, allow_null=True)
    founded_on = fields.DateField(required=False)
    members = MemberIn(many=True, required=False)
    reason = _reason()


class MembersSetIn(serializers.Serializer):
    members = MemberIn(many=True)
    on = fields.DateField(required=False)
    reason = _reason()


class ReasonIn(serializers.Serializer):
    reason = _reason()
    on = fields.DateField(required=False)


class MEChildIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = _name(required=False, default="")
    kind = _code_field(MEKind, required=False)
    leader = _username_field(required=False, allow_null=True)
    members = MemberIn(many=True, required=False, default=list)


class MESplitIn(ReasonIn):
    children = MEChildIn(many=True)
    successor = serializers.SlugField(required=False, allow_null=True, default=None)


class MEMergeIn(ReasonIn):
    parents = _code_field(Microenterprise, many=True)
    code = serializers.SlugField(max_length=50)
    name = _name()
    kind = _code_field(MEKind, required=False)
    leader = _username_field(required=False, allow_null=True)
    members = MemberIn(many=True, required=False, allow_null=True, default=None)


class NodeIn(serializers.Serializer):
    me = _code_field(Microenterprise)
    share_weight = fields.DecimalTextField(max_digits=12, decimal_places=6)
    obligations = _reason()


class EMCCreateIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = _name()
    kind = serializers.ChoiceField(choices=EMC.Kind.choices)
    lead_me = _code_field(Microenterprise)
    scenarios = _code_field(Scenario, many=True, required=False, default=list)
    nodes = NodeIn(many=True, required=False, allow_null=True, default=None)
    formed_on = fields.DateField(required=False)
    reason = _reason()


class NodesSetIn(serializers.Serializer):
    nodes = NodeIn(many=True)
    on = fields.DateField(required=False)
    reason = _reason()


class PartnerJoinIn(serializers.Serializer):
    partner = _code_field(Partner)
    on = fields.DateField(required=False)
    note = _name(255, required=False, allow_blank=True, default="")


class PartnerLeaveIn(ReasonIn):
    partner = _code_field(Partner)


class EMCChildIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = _name(required=False, default="")
    kind = serializers.ChoiceField(choices=EMC.Kind.choices, required=False)
    lead_me = _code_field(Microenterprise)
    scenarios = _code_field(Scenario, many=True, required=False, default=list)
    nodes = NodeIn(many=True, required=False, default=list)
    partners = _code_field(Partner, many=True, required=False, default=list)


class EMCSplitIn(ReasonIn):
    children = EMCChildIn(many=True)


class PartnerCreateIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = _name()
    roles = _code_field(PartnerRole, many=True)
    tier = _code_field(PartnerTier, required=False)
    industries = _code_field(Industry, many=True, required=False, default=list)
    resources = _code_field(PlatformResource, many=True, required=False, default=list)
    revenue_baseline_minor = fields.MinorUnitsField(required=False, default=0)
    baseline_currency = fields.CurrencyField(required=False, default="CNY")
    contact_name = _name(required=False, allow_blank=True, default="")
    contact_email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    contact_phone = _name(50, required=False, allow_blank=True, default="")
    website = serializers.URLField(max_length=200, required=False, allow_blank=True, default="")
    applied_on = fields.DateField(required=False)
    reason = _reason()


class PartnerUpdateIn(serializers.Serializer):
    name = _name(required=False)
    roles = _code_field(PartnerRole, many=True, required=False)
    industries = _code_field(Industry, many=True, required=False)
    resources = _code_field(PlatformResource, many=True, required=False)
    revenue_baseline_minor = fields.MinorUnitsField(required=False)
    baseline_currency = fields.CurrencyField(required=False)
    contact_name = _name(required=False, allow_blank=True)
    contact_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    contact_phone = _name(50, required=False, allow_blank=True)
    website = serializers.URLField(max_length=200, required=False, allow_blank=True)
    reason = _reason()


class TransitionIn(serializers.Serializer):
    reason = _reason(help_text="Why (required).")
    evidence = _reason()
    effective_on = fields.DateField(required=False, allow_null=True, default=None)


class TierChangeIn(TransitionIn):
    tier = _code_field(PartnerTier)


class ProposalCreateIn(serializers.Serializer):
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(), pk_field=fields.IntegerField(min_value=1)
    )
    to_state = serializers.ChoiceField(
        choices=[Partner.State.ON_WATCH, Partner.State.PHASED_OUT], help_text="on_watch or phased_out"
    )
    reason = _reason()
    evidence = serializers.JSONField(required=False, default=dict)
    source = _name(50, required=False, default="manual")


class ProposalDecisionIn(serializers.Serializer):
    reason = _reason()
    effective_on = fields.DateField(required=False, allow_null=True, default=None)


class ScenarioIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = _name(120)
    description = _reason()


class CategoryIn(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name = _name(120)
    is_core = fields.BooleanField(default=True)
    industry = _code_field(Industry, required=False, allow_null=True, default=None)


class SolutionIn(serializers.Serializer):
    scenario = _code_field(Scenario)
    code = serializers.SlugField(max_length=50)
    name = _name()
    categories = _code_field(Category, many=True)
    provider_mes = _code_field(Microenterprise, many=True, required=False, default=list)
    provider_partners = _code_field(Partner, many=True, required=False, default=list)
    first_version_on = fields.DateField(required=False)
    notes = _reason()


class VersionIn(serializers.Serializer):
    released_on = fields.DateField(required=False)
    notes = _reason()


class ResourceUseOut(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.code")
    resource = serializers.CharField(source="resource.code")

    class Meta:
        model = ResourceUse
        fields = ["id", "partner", "resource", "started_on", "ended_on", "note", "created_at"]


class ResourceUseIn(serializers.Serializer):
    partner = _code_field(Partner)
    resource = _code_field(PlatformResource)
    started_on = fields.DateField(required=False)
    note = _name(max_length=255, required=False, allow_blank=True, default="")


class ResourceUseEndIn(serializers.Serializer):
    ended_on = fields.DateField(required=False)
    reason = _reason()


class ResourceUseImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="UTF-8 CSV: partner,resource,started_on,ended_on,note")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ResourceUseImportOut(serializers.Serializer):
    created = serializers.IntegerField()
    results = ResourceUseOut(many=True)

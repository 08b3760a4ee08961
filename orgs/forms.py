"""Web forms: they parse and show errors; the services decide what is allowed."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.fields import DecimalTextFormField, TextFormField
from config.values import TEXT_LONG
from orgs.models import Microenterprise, Partner, PartnerTier, PlatformResource
from orgs.selectors import me_people

User = get_user_model()


def add_service_errors(form: forms.Form, exc: ValidationError, *, field_map: dict | None = None) -> None:
    """Show a service's ValidationError on the form: by field where the form has it, else on top."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = field_map.get(field, field)
        messages = [m for e in errors for m in e.messages]
        form.add_error(target if target in form.fields else None, messages)


class DateInput(forms.DateInput):
    input_type = "date"


class ReasonForm(forms.Form):
    """Reason (the service requires it), optional evidence and date, and an explicit confirmation."""

    # the API's rule (orgs.api.serializers._reason): at most TEXT_LONG, no control characters
    reason = TextFormField(
        label=_("Reason"),
        max_length=TEXT_LONG,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence = TextFormField(
        label=_("Evidence (optional)"),
        max_length=TEXT_LONG,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    effective_on = forms.DateField(label=_("Effective on"), required=False, widget=DateInput)
    confirm = forms.BooleanField(
        label=_("I confirm this change"),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


class PartnerTransitionForm(ReasonForm):
    action = forms.CharField(widget=forms.HiddenInput)


class TierChangeForm(ReasonForm):
    tier = forms.ModelChoiceField(
        label=_("New tier"), queryset=PartnerTier.objects.all(), to_field_name="code"
    )


class ProposalDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("dismiss", _("Dismiss"))])
    reason = forms.CharField(label=_("Reason"), required=False)


class MEActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("activate", _("Activate")), ("dissolve", _("Dissolve"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    on = forms.DateField(label=_("Effective on"), required=False, widget=DateInput)
    confirm = forms.BooleanField(
        label=_("I confirm this change"),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


class MemberRowForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=me_people(),  # no partner, finance or auditor users (orgs.roles.ROLES_OUTSIDE_MES)
        to_field_name="username",
        required=False,
    )
    weight = DecimalTextFormField(label=_("Weight (%)"), required=False, max_digits=12, decimal_places=6)

    def clean(self):
        data = super().clean()
        if data.get("user") and data.get("weight") is None:
            self.add_error("weight", _("Give this person a weight."))
        return data


MemberFormSet = forms.formset_factory(MemberRowForm, extra=2, can_delete=False)


class MembersMetaForm(forms.Form):
    members = forms.CharField(required=False, widget=forms.HiddenInput)  # where set-level errors land
    on = forms.DateField(label=_("Effective on"), required=False, widget=DateInput)
    reason = forms.CharField(label=_("Reason (optional)"), required=False)


class MESplitForm(forms.Form):
    """Two or three new MEs, and for each current member the new ME and weight."""

    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    on = forms.DateField(label=_("Effective on"), required=False, widget=DateInput)
    children = forms.CharField(required=False, widget=forms.HiddenInput)
    members = forms.CharField(required=False, widget=forms.HiddenInput)

    SLOTS = 3

    def __init__(self, *args, me: Microenterprise, members: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.me, self.member_users = me, members
        for i in range(1, self.SLOTS + 1):
            self.fields[f"child{i}_code"] = forms.SlugField(
                label=_("New ME %(n)s code") % {"n": i}, required=i <= 2
            )
            self.fields[f"child{i}_name"] = forms.CharField(
                label=_("New ME %(n)s name") % {"n": i}, required=False
            )
        choices = [("", _("— unassigned —"))] + [(str(i), str(i)) for i in range(1, self.SLOTS + 1)]
        for user in members:
            self.fields[f"to_{user.pk}"] = forms.ChoiceField(
                label=user.get_username(), choices=choices, required=False
            )
            self.fields[f"weight_{user.pk}"] = DecimalTextFormField(
                label=_("Weight (%)"), required=False, max_digits=12, decimal_places=6
            )

    def member_rows(self):
        return [(u, self[f"to_{u.pk}"], self[f"weight_{u.pk}"]) for u in self.member_users]

    def child_specs(self) -> list[dict]:
        data = self.cleaned_data
        specs = {}
        for i in range(1, self.SLOTS + 1):
            code = data.get(f"child{i}_code")
            if code:
                specs[str(i)] = {"code": code, "name": data.get(f"child{i}_name") or code, "members": []}
        for user in self.member_users:
            slot = data.get(f"to_{user.pk}")
            if slot and slot in specs:
                specs[slot]["members"].append({"user": user, "weight": data.get(f"weight_{user.pk}") or 0})
        return list(specs.values())


class NodeRowForm(forms.Form):
    me = forms.ModelChoiceField(
        label=_("ME"),
        queryset=Microenterprise.objects.filter(status__in=Microenterprise.LIVE_STATUSES),
        to_field_name="code",
        required=False,
    )
    share_weight = DecimalTextFormField(label=_("Share (%)"), required=False, max_digits=12, decimal_places=6)
    obligations = forms.CharField(label=_("Obligations"), required=False)


NodeFormSet = forms.formset_factory(NodeRowForm, extra=2)


class EMCPartnerJoinForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.filter(state__in=Partner.CREDITABLE_STATES),
        to_field_name="code",
    )
    on = forms.DateField(label=_("From"), required=False, widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False)


class EMCPartnerLeaveForm(forms.Form):
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.all(), to_field_name="code", widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Reason"), required=False)
    on = forms.DateField(label=_("Until"), required=False, widget=DateInput)


class EMCDisbandForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    on = forms.DateField(label=_("Effective on"), required=False, widget=DateInput)
    confirm = forms.BooleanField(
        label=_("I confirm this change"),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


class ResourceUseForm(forms.Form):
    resource = forms.ModelChoiceField(
        label=_("Platform resource"), queryset=PlatformResource.objects.all(), to_field_name="code"
    )
    started_on = forms.DateField(label=_("Uses it from"), widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class ResourceUseEndForm(forms.Form):
    ended_on = forms.DateField(label=_("Until (exclusive)"), widget=DateInput)

"""Forms of the orders for bids: they parse; the services validate and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.fields import DateFormField
from orgs.forms import DateInput
from orgs.models import EMC, Microenterprise, Partner, Scenario
from orgs.roles import Role, user_roles
from orgs.selectors import partner_of_user


def _confirm():
    return forms.BooleanField(
        label=_("I confirm this step"),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


class OrderForm(forms.Form):
    emc = forms.ModelChoiceField(label=_("EMC"), queryset=EMC.objects.none(), to_field_name="code")
    scenario = forms.ModelChoiceField(
        label=_("Scenario"), queryset=Scenario.objects.order_by("name"), to_field_name="code", required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    goal = forms.CharField(
        label=_("Measurable goal"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    target_amount = forms.CharField(label=_("Target amount"), required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False, initial="CNY")
    obligations = forms.CharField(
        label=_("Obligations"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    share_pct = forms.CharField(label=_("Share on offer (%)"), required=False)
    deadline = DateFormField(label=_("Bidding deadline"), required=False, widget=DateInput)
    period_start = DateFormField(label=_("Delivery from"), required=False, widget=DateInput)
    period_end = DateFormField(label=_("Delivery until"), required=False, widget=DateInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        emcs = EMC.objects.filter(status=EMC.Status.ACTIVE).order_by("code")
        if Role.PLATFORM_ADMIN not in user_roles(user):
            emcs = emcs.filter(lead_me__leader=user)
        self.fields["emc"].queryset = emcs


def bidder_choices(user) -> list[tuple[str, str]]:
    """The MEs and partners this user may bid for: "me:<code>" / "partner:<code>"."""
    roles = user_roles(user)
    choices = []
    mes = Microenterprise.objects.filter(status__in=Microenterprise.LIVE_STATUSES).order_by("code")
    if Role.PLATFORM_ADMIN not in roles:
        mes = mes.filter(leader=user) if Role.ME_LEADER in roles else mes.none()
    choices += [(f"me:{me.code}", f"{me.name} ({me.code})") for me in mes.only("code", "name")]
    if Role.PLATFORM_ADMIN in roles:
        partners = Partner.objects.filter(state=Partner.State.ACTIVE).order_by("name").only("code", "name")
        choices += [(f"partner:{p.code}", p.name) for p in partners]
    elif Role.PARTNER in roles:
        own = partner_of_user(user=user)
        if own is not None:
            choices.append((f"partner:{own.code}", own.name))
    return choices


class BidForm(forms.Form):
    bidder = forms.ChoiceField(label=_("Bid for"))
    asked_share_pct = forms.CharField(label=_("Asked share (%)"), required=False)
    commitment = forms.CharField(
        label=_("Commitment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    target_amount = forms.CharField(label=_("Committed amount"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bidder"].choices = bidder_choices(user)

    def bidder_kwargs(self) -> dict:
        kind, code = self.cleaned_data["bidder"].split(":", 1)
        if kind == "me":
            return {"me": Microenterprise.objects.get(code=code)}
        return {"partner": Partner.objects.get(code=code)}


class AwardForm(forms.Form):
    bid = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why this bid"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = _confirm()


class RateForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Stars"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)], required=False
    )
    note = forms.CharField(
        label=_("The delivery against the commitment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = _confirm()


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = _confirm()

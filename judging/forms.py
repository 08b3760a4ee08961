"""Forms of the judging pages: they parse input; the services check and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from judging.models import CostEntry, Rule


class RuleForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=50, required=False)
    name = forms.CharField(label=_("Name"), max_length=200)
    action = forms.ChoiceField(label=_("Proposes"), choices=Rule.Action.choices)
    metric = forms.ChoiceField(label=_("When the figure"), choices=Rule.Metric.choices)
    comparison = forms.ChoiceField(label=_("is"), choices=Rule.Comparison.choices)
    threshold = forms.CharField(label=_("Threshold"), max_length=20)
    sustained_days = forms.CharField(label=_("on every night for (days)"), max_length=6)
    min_ratings = forms.CharField(label=_("Minimum ratings in the window"), max_length=8, required=False)
    grace_days = forms.CharField(
        label=_("Grace period after a tier change (days)"), max_length=6, required=False
    )
    appeal_days = forms.CharField(label=_("Days to appeal"), max_length=6)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("dismiss", _("Dismiss"))])
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why the decision should be looked at again"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("upheld", _("Uphold the decision")), ("overturned", _("Overturn it"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


# --- the statement's inputs and the matrix bands --------------------------------------------------


class CostEntryForm(forms.Form):
    me = forms.ChoiceField(label=_("Microenterprise"))
    period = forms.CharField(
        label=_("Month"),
        max_length=7,
        required=False,
        help_text=_("Such as 2026-11; or give the days below."),
    )
    starts_on = forms.CharField(label=_("First day"), max_length=10, required=False)
    ends_on = forms.CharField(label=_("Last day"), max_length=10, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=CostEntry.Category.choices)
    amount = forms.CharField(label=_("Amount"), max_length=24)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, mes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["me"].choices = [(m.code, f"{m.code} · {m.name}") for m in mes]


class HoursEntryForm(forms.Form):
    me = forms.ChoiceField(label=_("Microenterprise"))
    period = forms.CharField(
        label=_("Month"),
        max_length=7,
        required=False,
        help_text=_("Such as 2026-11; or give the days below."),
    )
    starts_on = forms.CharField(label=_("First day"), max_length=10, required=False)
    ends_on = forms.CharField(label=_("Last day"), max_length=10, required=False)
    hours = forms.CharField(label=_("Hours worked"), max_length=14)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, mes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["me"].choices = [(m.code, f"{m.code} · {m.name}") for m in mes]


class EntriesImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file holds"), choices=[("costs", _("Costs")), ("hours", _("Hours worked"))]
    )
    file = forms.FileField(label=_("CSV file"))


class MatrixBandsForm(forms.Form):
    x_band = forms.CharField(label=_("Enterprise value is high from (% of target)"), max_length=10)
    y_band = forms.CharField(label=_("User value is high from (% of target)"), max_length=10)
    note = forms.CharField(label=_("Why"), max_length=255, required=False)


class CostReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is reversed"), max_length=255, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label=_("I confirm this step"), error_messages={"required": _("Tick the box to confirm.")}
    )

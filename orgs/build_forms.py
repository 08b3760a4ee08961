"""Forms that build the organization in the web UI: they parse, the services (orgs.services)
decide and write, with the audit row. No form here saves a model."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from config import values
from config.fields import DateFormField, TextFormField
from orgs.forms import DateInput
from orgs.models import EMC, Industry, MEKind, Microenterprise, Scenario

User = get_user_model()


def _code_field() -> forms.SlugField:
    return forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_("Letters, digits, - and _; it names the record in links and files and never changes."),
    )


def _name_field() -> TextFormField:
    return TextFormField(label=_("Name"), max_length=120)


def _reason_field() -> TextFormField:
    return TextFormField(
        label=_("Reason (optional)"),
        max_length=values.TEXT_LONG,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _live_mes():
    return Microenterprise.objects.filter(status__in=Microenterprise.LIVE_STATUSES).order_by("code")


class _Styled(forms.Form):
    """Bootstrap classes on every widget (the templates render fields one by one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class MECreateForm(_Styled):
    code = _code_field()
    name = _name_field()
    kind = forms.ModelChoiceField(label=_("Kind"), queryset=MEKind.objects.all(), to_field_name="code")
    leader = forms.ModelChoiceField(
        label=_("Leader"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        required=False,
    )
    founded_on = DateFormField(label=_("Founded on"), required=False, widget=DateInput)
    reason = _reason_field()


class MEEditForm(_Styled):
    name = _name_field()
    kind = forms.ModelChoiceField(label=_("Kind"), queryset=MEKind.objects.all(), to_field_name="code")
    leader = forms.ModelChoiceField(
        label=_("Leader"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        required=False,
    )
    reason = _reason_field()


class EMCCreateForm(_Styled):
    code = _code_field()
    name = _name_field()
    kind = forms.ChoiceField(label=_("Kind"), choices=EMC.Kind.choices)
    lead_me = forms.ModelChoiceField(label=_("Lead ME"), queryset=_live_mes(), to_field_name="code")
    scenarios = forms.ModelMultipleChoiceField(
        label=_("Scenarios"),
        queryset=Scenario.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    formed_on = DateFormField(label=_("Formed on"), required=False, widget=DateInput)
    reason = _reason_field()
    nodes = forms.CharField(required=False, widget=forms.HiddenInput)  # where set-level errors land

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenarios"].widget.attrs["class"] = "form-check-input"


class EMCEditForm(_Styled):
    name = _name_field()
    lead_me = forms.ModelChoiceField(label=_("Lead ME"), queryset=_live_mes(), to_field_name="code")
    scenarios = forms.ModelMultipleChoiceField(
        label=_("Scenarios"),
        queryset=Scenario.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = _reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenarios"].widget.attrs["class"] = "form-check-input"


class ScenarioCreateForm(_Styled):
    code = _code_field()
    name = _name_field()
    description = TextFormField(
        label=_("Description"),
        max_length=values.TEXT_LONG,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CategoryCreateForm(_Styled):
    code = _code_field()
    name = _name_field()
    is_core = forms.BooleanField(
        label=_("Core category (the organizer's original scope)"), required=False, initial=True
    )
    industry = forms.ModelChoiceField(
        label=_("ISIC industry (code)"),
        queryset=Industry.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.TextInput,
        error_messages={"invalid_choice": _("No ISIC industry has this code.")},
    )

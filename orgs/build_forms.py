"""Forms that build the organization in the web UI: they parse, the services (orgs.services)
decide and write, with the audit row. No form here saves a model."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from config import values
from config.fields import DateFormField, TextFormField
from orgs.forms import DateInput
from orgs.models import (
    EMC,
    Category,
    Industry,
    MEKind,
    Microenterprise,
    Partner,
    PartnerRole,
    PartnerTier,
    PlatformStandard,
    Scenario,
)
from orgs.selectors import me_people

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
            if isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "app-check")  # a list of boxes (static/css/app.css)
            elif isinstance(widget, forms.CheckboxInput):
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
        queryset=me_people(),  # no partner, finance or auditor users
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
        queryset=me_people(),  # no partner, finance or auditor users
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


class IndustryCodesField(forms.CharField):
    """ISIC codes separated by spaces or commas (`2750, 4649`), each a known industry."""

    def clean(self, value):
        text = super().clean(value) or ""
        codes = [c.strip().upper() for c in text.replace(",", " ").split() if c.strip()]
        if not codes:
            return []
        found = {i.code: i for i in Industry.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("No ISIC industry has the code %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return [found[c] for c in dict.fromkeys(codes)]


class PartnerApplicationForm(_Styled):
    company = TextFormField(label=_("Company"), max_length=200)
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles you would take"),
        queryset=PartnerRole.objects.all(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role.")},
    )
    industries = IndustryCodesField(
        label=_("ISIC industries (codes)"),
        required=False,
        help_text=_("ISIC Rev. 4 codes separated by spaces, for example 2750 4649."),
    )
    offer = TextFormField(
        label=_("What you offer the ecosystem"),
        max_length=values.TEXT_LONG,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact_name = TextFormField(label=_("Contact name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = TextFormField(label=_("Contact phone"), max_length=50, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    username = forms.RegexField(
        label=_("Your username"),
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ."))
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("password_again", None)
        return data


class ApplicationDecisionForm(_Styled):
    action = forms.ChoiceField(
        choices=[("admit", _("Admit to probation")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    reason = TextFormField(
        label=_("Reason"),
        max_length=values.TEXT_LONG,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("I confirm this change"), error_messages={"required": _("Tick the box to confirm.")}
    )


class CodesField(forms.CharField):
    """Codes of existing rows of `model`, separated by spaces or commas (`me-01 me-02`)."""

    def __init__(self, *, queryset, **kwargs):
        self.queryset = queryset
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value) or ""
        codes = list(dict.fromkeys(c.strip() for c in text.replace(",", " ").split() if c.strip()))
        if not codes:
            return []
        found = {row.code: row for row in self.queryset.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(_("Unknown code: %(codes)s.") % {"codes": ", ".join(unknown)})
        return [found[c] for c in codes]


def _confirm_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("I confirm this change"), error_messages={"required": _("Tick the box to confirm.")}
    )


class MEMergeForm(_Styled):
    """Merge this ME with others into a new one: irreversible, so it asks a confirmation."""

    others = CodesField(
        label=_("The other MEs (codes)"),
        queryset=Microenterprise.objects.filter(status__in=Microenterprise.LIVE_STATUSES),
        help_text=_("Codes separated by spaces; every open member moves to the new ME."),
    )
    code = _code_field()
    name = _name_field()
    kind = forms.ModelChoiceField(
        label=_("Kind"), queryset=MEKind.objects.all(), to_field_name="code", required=False
    )
    leader = forms.ModelChoiceField(
        label=_("Leader"),
        queryset=me_people(),  # no partner, finance or auditor users
        to_field_name="username",
        required=False,
    )
    on = DateFormField(label=_("Effective on"), required=False, widget=DateInput)
    reason = TextFormField(
        label=_("Reason"),
        max_length=values.TEXT_LONG,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = _confirm_field()


class PartnerCreateForm(_Styled):
    code = _code_field()
    name = TextFormField(label=_("Name"), max_length=200)
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=PartnerRole.objects.all(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role.")},
    )
    tier = forms.ModelChoiceField(
        label=_("Tier"), queryset=PartnerTier.objects.order_by("rank"), to_field_name="code", required=False
    )
    industries = IndustryCodesField(label=_("ISIC industries (codes)"), required=False)
    offer = TextFormField(
        label=_("Offer"),
        max_length=values.TEXT_LONG,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_name = TextFormField(label=_("Contact name"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    reason = _reason_field()


class CertifyForm(_Styled):
    standard = forms.ModelChoiceField(
        label=_("Standard"), queryset=PlatformStandard.objects.all(), to_field_name="code"
    )
    certified_on = DateFormField(label=_("Certified on"), required=False, widget=DateInput)
    expires_on = DateFormField(label=_("Expires on"), required=False, widget=DateInput)
    reason = _reason_field()


class SolutionCreateForm(_Styled):
    scenario = forms.ModelChoiceField(
        label=_("Scenario"), queryset=Scenario.objects.order_by("code"), to_field_name="code"
    )
    code = _code_field()
    name = TextFormField(label=_("Name"), max_length=200)
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    provider_mes = CodesField(
        label=_("Provider MEs (codes)"),
        queryset=Microenterprise.objects.filter(status__in=Microenterprise.LIVE_STATUSES),
        required=False,
    )
    provider_partners = CodesField(
        label=_("Provider partners (codes)"),
        queryset=Partner.objects.filter(state__in=Partner.CREDITABLE_STATES),
        required=False,
    )
    first_version_on = DateFormField(label=_("Version 1 released on"), required=False, widget=DateInput)
    notes = TextFormField(label=_("Notes"), max_length=values.TEXT_SHORT, required=False)


class SolutionVersionForm(_Styled):
    released_on = DateFormField(label=_("Released on"), required=False, widget=DateInput)
    notes = TextFormField(label=_("Notes"), max_length=values.TEXT_SHORT, required=False)


class NodeSharesField(forms.CharField):
    """Node MEs with their shares as `code:share` pairs (`dryers:60 sensors:40`); the service
    checks the shares (they must total 100)."""

    def clean(self, value):
        text = super().clean(value) or ""
        pairs = [p for p in text.replace(",", " ").split() if p]
        if not pairs:
            return []
        wanted = []
        for pair in pairs:
            code, sep, share = pair.partition(":")
            if not sep or not code or not share:
                raise forms.ValidationError(_("Write each node as code:share, for example dryers:60."))
            wanted.append((code, share))
        found = {
            me.code: me
            for me in Microenterprise.objects.filter(
                code__in=[c for c, _s in wanted], status__in=Microenterprise.LIVE_STATUSES
            )
        }
        unknown = [c for c, _s in wanted if c not in found]
        if unknown:
            raise forms.ValidationError(_("Unknown code: %(codes)s.") % {"codes": ", ".join(unknown)})
        return [{"me": found[c], "share_weight": s} for c, s in wanted]


class EMCSplitForm(_Styled):
    """Split an EMC into two or three new ones: irreversible, so it asks a confirmation."""

    SLOTS = 3

    on = DateFormField(label=_("Effective on"), required=False, widget=DateInput)
    reason = TextFormField(
        label=_("Reason"),
        max_length=values.TEXT_LONG,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    children = forms.CharField(required=False, widget=forms.HiddenInput)  # where set-level errors land
    confirm = _confirm_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        live = Microenterprise.objects.filter(status__in=Microenterprise.LIVE_STATUSES).order_by("code")
        for i in range(1, self.SLOTS + 1):
            required = i <= 2
            self.fields[f"child{i}_code"] = forms.SlugField(
                label=_("New EMC %(n)s code") % {"n": i}, max_length=50, required=required
            )
            self.fields[f"child{i}_name"] = TextFormField(
                label=_("New EMC %(n)s name") % {"n": i}, max_length=120, required=False
            )
            self.fields[f"child{i}_lead_me"] = forms.ModelChoiceField(
                label=_("New EMC %(n)s lead ME") % {"n": i},
                queryset=live,
                to_field_name="code",
                required=required,
            )
            self.fields[f"child{i}_nodes"] = NodeSharesField(
                label=_("New EMC %(n)s nodes (code:share)") % {"n": i}, required=False
            )
            self.fields[f"child{i}_partners"] = CodesField(
                label=_("New EMC %(n)s partners (codes)") % {"n": i},
                queryset=Partner.objects.filter(state__in=Partner.CREDITABLE_STATES),
                required=False,
            )
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput | forms.CheckboxInput):
                field.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                )
        # the confirmation and the reason come last on the page
        self.order_fields([f for f in self.fields if f.startswith("child")] + ["on", "reason", "confirm"])

    def child_specs(self) -> list[dict]:
        data = self.cleaned_data
        specs = []
        for i in range(1, self.SLOTS + 1):
            if not data.get(f"child{i}_code"):
                continue
            specs.append(
                {
                    "code": data[f"child{i}_code"],
                    "name": data.get(f"child{i}_name") or "",
                    "lead_me": data.get(f"child{i}_lead_me"),
                    "nodes": data.get(f"child{i}_nodes") or None,
                    "partners": data.get(f"child{i}_partners") or [],
                }
            )
        return specs

    def clean(self):
        data = super().clean()
        for i in range(1, self.SLOTS + 1):
            if data.get(f"child{i}_code") and not data.get(f"child{i}_lead_me"):
                self.add_error(f"child{i}_lead_me", _("Choose the lead ME of this new EMC."))
        return data


class MEImportForm(_Styled):
    file = forms.FileField(label=_("CSV file"))
    reason = _reason_field()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


class ResourceUseImportForm(MEImportForm):
    """A CSV of partners' resource uses (orgs.services.resource_uses_import_csv)."""

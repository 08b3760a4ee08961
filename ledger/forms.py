"""Web forms of the ledger: they parse input and show errors; the services decide what is allowed.

The log forms validate a choice against the whole table (so a crafted post reaches the service
and gets its clear message), but *offer* only what the service would accept for the chosen ME,
EMC and date (`offer`). A hidden one-time token becomes the idempotency key of what is posted.
"""

import json
import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.fields import DateFormField, MoneyFormField, TextFormField
from config.values import TEXT_SHORT
from ledger.models import Account, ImportBatch, PurposeIndicator, UserSignal, ValueEvent
from ledger.money import event_max_error, format_minor, large_amount_minor, minor_exponent
from orgs.currencies import currency_error
from orgs.forms import add_service_errors
from orgs.models import EMC, Category, Microenterprise, Partner, Scenario, Solution

__all__ = [
    "AccountFilterForm",
    "ImportUploadForm",
    "MELedgerFilterForm",
    "PurposeIndicatorForm",
    "RefundForm",
    "ReverseForm",
    "UserSignalForm",
    "ValueEventForm",
    "add_service_errors",
]

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


def new_token() -> str:
    return uuid.uuid4().hex


def now_local() -> str:
    return timezone.localtime().strftime(DATETIME_LOCAL)


def _code_choice(model, label, **kwargs):
    return forms.ModelChoiceField(
        queryset=model.objects.all(), to_field_name="code", label=label, empty_label="—", **kwargs
    )


def _offer(field, objects, label=lambda o: f"{o.code} · {o.name}", *, empty=True) -> None:
    """Show only `objects` in a select (validation still uses the field's queryset)."""
    field.choices = ([("", "—")] if empty else []) + [(o.code, label(o)) for o in objects]


class OneTimeTokenMixin(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", new_token())


class ValueEventForm(OneTimeTokenMixin):
    me = _code_choice(Microenterprise, _("Microenterprise"))
    emc = _code_choice(EMC, _("EMC"))
    scenario = _code_choice(Scenario, _("Scenario"))
    solution = _code_choice(Solution, _("Solution"), required=False)
    category = _code_choice(Category, _("Category"))
    user_ref = forms.CharField(
        label=_("User reference"),
        max_length=64,
        help_text=_("A pseudonymous reference (e.g. a member number). Never a name, e-mail or phone number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    amount = MoneyFormField(
        label=_("Amount paid"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = forms.CharField(
        label=_("Currency"), max_length=3, min_length=3, widget=forms.TextInput(attrs={"size": 3})
    )
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"), widget=DateTimeLocalInput, input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
    )
    customized = forms.BooleanField(
        label=_("Customized for this user"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    partners = forms.ModelMultipleChoiceField(
        queryset=Partner.objects.all(),
        to_field_name="code",
        required=False,
        label=_("Partners who took part"),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    note = TextFormField(label=_("Note"), required=False, max_length=TEXT_SHORT)
    confirm_large = forms.BooleanField(
        label=_("I confirm this large amount"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, mes=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_at", now_local())
        _offer(self.fields["me"], mes, empty=False)

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()

    def clean(self):
        """An amount at or above LEDGER_LARGE_AMOUNT of its currency posts only once confirmed
        (static/js/ledger-forms.js shows the box as the amount is typed)."""
        data = super().clean()
        amount, currency = data.get("amount"), data.get("currency")
        if amount in (None, "") or not currency or currency_error(currency):
            return data
        minor = amount.scaleb(minor_exponent(currency))
        too_much = event_max_error(int(minor), currency) if minor == minor.to_integral_value() else None
        if too_much:  # over the per-event maximum: no confirmation can post it
            self.add_error("amount", too_much)
            return data
        large = large_amount_minor(currency)
        if minor >= large and not data.get("confirm_large"):
            self.add_error(
                "confirm_large",
                _(
                    "%(amount)s %(currency)s is a large amount (%(large)s or more): tick the box to confirm it."
                )
                % {"amount": amount, "currency": currency, "large": format_minor(large, currency)},
            )
        return data

    @staticmethod
    def large_amounts() -> str:
        """The confirmation thresholds in major units as JSON for the page script: the default
        ("*") and each currency that has its own."""
        thresholds = {"*": str(settings.LEDGER_LARGE_AMOUNT), **settings.LEDGER_LARGE_AMOUNT_BY_CURRENCY}
        return json.dumps({code: str(value) for code, value in thresholds.items()})

    def offer(self, choices: dict) -> None:
        """Limit the selects to what the service would accept (see ui_selectors.log_form_choices)."""
        _offer(self.fields["emc"], choices["emcs"])
        _offer(self.fields["scenario"], choices["scenarios"])
        _offer(self.fields["solution"], choices["solutions"])
        _offer(self.fields["category"], choices["categories"], lambda c: c.name)
        # static/js/ledger-forms.js offers the chosen solution's categories as it changes; without
        # the script the page offers them after a reload, and the service refuses any other
        self.fields["category"].widget.attrs.update(
            {
                "data-solution-categories": json.dumps(choices.get("solution_categories", {})),
                "data-all-categories": json.dumps(
                    [[c.code, c.name] for c in choices.get("all_categories", ())]
                ),
            }
        )
        self.fields["partners"].choices = [
            (p.code, f"{p.name} · {p.share_pct.normalize():f}%") for p in choices["partners"]
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "me": data["me"],
            "emc": data["emc"],
            "scenario": data["scenario"],
            "solution": data.get("solution"),
            "category": data["category"],
            "user_ref": data["user_ref"].strip(),
            "amount": data["amount"],
            "currency": data["currency"],
            "occurred_at": data["occurred_at"],
            "customized": data.get("customized", False),
            "partners": list(data.get("partners") or []),
            "note": data.get("note", ""),
            "idempotency_key": data["token"],
        }


class RefundForm(OneTimeTokenMixin):
    amount = MoneyFormField(
        label=_("Amount refunded"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    occurred_at = forms.DateTimeField(
        label=_("Refunded at"), widget=DateTimeLocalInput, input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
    )
    note = TextFormField(label=_("Reason"), max_length=TEXT_SHORT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_at", now_local())


class UserSignalForm(OneTimeTokenMixin):
    kind = forms.ChoiceField(
        label=_("Signal"),
        choices=UserSignal.Kind.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    me = _code_choice(Microenterprise, _("Microenterprise"))
    emc = _code_choice(EMC, _("EMC"))
    scenario = _code_choice(Scenario, _("Scenario"), required=False)
    solution = _code_choice(Solution, _("Solution"), required=False)
    user_ref = forms.CharField(
        label=_("User reference"),
        max_length=64,
        help_text=_("A pseudonymous reference (e.g. a member number). Never a name, e-mail or phone number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"), widget=DateTimeLocalInput, input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
    )
    rating = forms.TypedChoiceField(
        label=_("Rating (1-5)"),
        choices=[("", "—")] + [(i, i) for i in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    expectation = forms.TypedChoiceField(
        label=_("The user's prior expectation (1-5)"),
        choices=[("", "—")] + [(i, i) for i in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    co_creation_kind = forms.ChoiceField(
        label=_("Co-creation"), choices=[("", "—"), *UserSignal.CoCreationKind.choices], required=False
    )
    products_owned = forms.IntegerField(label=_("Ecosystem products owned"), min_value=0, required=False)
    related_purchase = forms.NullBooleanField(label=_("Bought a related product or service"), required=False)
    note = TextFormField(
        label=_("Note / story"),
        required=False,
        max_length=500,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, mes=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_at", now_local())
            self.initial.setdefault("kind", UserSignal.Kind.RATING)
        _offer(self.fields["me"], mes, empty=False)

    def offer(self, choices: dict) -> None:
        _offer(self.fields["emc"], choices["emcs"])
        _offer(self.fields["scenario"], choices["scenarios"])
        _offer(self.fields["solution"], choices["solutions"])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "me": data["me"],
            "emc": data["emc"],
            "scenario": data.get("scenario"),
            "solution": data.get("solution"),
            "user_ref": data["user_ref"].strip(),
            "occurred_at": data["occurred_at"],
            "rating": data.get("rating"),
            "expectation": data.get("expectation"),
            "co_creation_kind": data.get("co_creation_kind") or None,
            "products_owned": data.get("products_owned"),
            "related_purchase": data.get("related_purchase"),
            "note": data.get("note", ""),
            "idempotency_key": data["token"],
        }


class ReverseForm(forms.Form):
    reason = TextFormField(
        label=_("Reason"), max_length=TEXT_SHORT, multiline=True, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label=_("I confirm: post the exact negation of this transaction"),
        error_messages={"required": _("Tick the box to confirm.")},
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file holds"),
        choices=ImportBatch.Kind.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial="events",
    )
    file = forms.FileField(label=_("CSV file (UTF-8, header row first)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file."))
        return upload


class MELedgerFilterForm(forms.Form):
    emc = forms.ChoiceField(label=_("EMC"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *ValueEvent.Kind.choices]
    )
    date_from = DateFormField(label=_("From"), required=False, widget=DateInput)
    date_to = DateFormField(label=_("To"), required=False, widget=DateInput)
    as_of = DateFormField(label=_("Balances as of"), required=False, widget=DateInput)

    def __init__(self, *args, emcs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["emc"].choices = [("", _("All")), *((e.code, e.code) for e in emcs)]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class AccountFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *Account.Kind.choices])
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    q = forms.CharField(label=_("Code or name"), required=False, max_length=100)
    as_of = DateFormField(label=_("Balances as of"), required=False, widget=DateInput)


class PurposeIndicatorForm(OneTimeTokenMixin):
    kind = forms.ChoiceField(label=_("Indicator"), choices=PurposeIndicator.Kind.choices)
    me = _code_choice(Microenterprise, _("Microenterprise"))
    emc = _code_choice(EMC, _("EMC"))
    on = DateFormField(label=_("Day"), widget=DateInput)
    quantity = forms.CharField(
        label=_("Quantity"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    unit = forms.CharField(
        label=_("Unit"),
        max_length=12,
        help_text=_("kg CO2e, kWh, units (recycled) or people (served): the one unit of each indicator."),
    )
    note = TextFormField(label=_("Note"), required=False, max_length=TEXT_SHORT)

    def __init__(self, *args, mes=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("on", timezone.localdate().isoformat())
            self.initial.setdefault("unit", PurposeIndicator.UNITS[PurposeIndicator.Kind.CO2E_AVOIDED])
        _offer(self.fields["me"], mes, empty=False)

    def offer(self, choices: dict) -> None:
        _offer(self.fields["emc"], choices["emcs"])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "me": data["me"],
            "emc": data["emc"],
            "on": data["on"],
            "quantity": data["quantity"],
            "unit": data["unit"],
            "note": data.get("note", ""),
            "idempotency_key": data["token"],
        }
